//! The jsonrpsee module serving [`crate::api`]. Every [`CoreError`] becomes a JSON-RPC error
//! here and nowhere else; internal errors are logged and reach clients only as an opaque message.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use band_core::services::{Projects, Workspaces};
use band_core::{CoreError, Project, Workspace};
use jsonrpsee::RpcModule;
use jsonrpsee::types::{ErrorObjectOwned, Params};

use crate::api::{self, Method, codes};

/// What the API methods act on.
pub struct ApiContext {
    pub projects: Projects,
    pub workspaces: Workspaces,
    pub settings: api::SettingsInfo,
}

/// Builds the module with every method of [`api::METHODS`].
///
/// # Errors
/// A method name registered twice (a programming error, caught by the tests).
pub fn module(ctx: ApiContext) -> Result<RpcModule<ApiContext>, jsonrpsee::core::RegisterMethodError> {
    let mut m = RpcModule::new(ctx);
    add::<api::ProjectsAdd, _, _>(&mut m, |c, p| async move {
        Ok(project_info(&c.projects.add(Path::new(&p.path), p.name.as_deref()).await?))
    })?;
    add::<api::ProjectsList, _, _>(&mut m, |c, _| async move {
        Ok(c.projects.list().await?.iter().map(project_info).collect())
    })?;
    add::<api::ProjectsRemove, _, _>(
        &mut m,
        |c, p| async move { Ok(project_info(&c.projects.remove(&p.name).await?)) },
    )?;
    add::<api::WorkspacesCreate, _, _>(&mut m, |c, p| async move {
        let (ws, created) = c.workspaces.create(&p.project, &p.branch, p.base.as_deref()).await?;
        Ok(api::WorkspaceCreated { workspace: workspace_info(&p.project, &ws), created })
    })?;
    add::<api::WorkspacesList, _, _>(&mut m, |c, p| async move {
        let list = c.workspaces.list(p.project.as_deref()).await?;
        Ok(list.iter().map(|(project, ws)| workspace_info(project.as_str(), ws)).collect())
    })?;
    add::<api::WorkspacesGet, _, _>(&mut m, |c, p| async move {
        let (project, ws) = c.workspaces.resolve(&p.workspace).await?;
        Ok(workspace_info(project.name.as_str(), &ws))
    })?;
    add::<api::WorkspacesStatus, _, _>(&mut m, |c, p| async move {
        let s = c.workspaces.status(&p.workspace).await?;
        Ok(api::WorkspaceStatusInfo {
            workspace: workspace_info(s.project.as_str(), &s.workspace),
            dirty: !s.changes.is_empty(),
            changes: s
                .changes
                .iter()
                .map(|c| api::FileChangeInfo { path: c.path.clone(), kind: c.kind.as_str().to_owned() })
                .collect(),
            ahead: s.divergence.ahead,
            behind: s.divergence.behind,
        })
    })?;
    add::<api::WorkspacesDiff, _, _>(&mut m, |c, p| async move {
        let d = c.workspaces.diff(&p.workspace).await?;
        Ok(api::WorkspaceDiffInfo {
            workspace: workspace_info(d.project.as_str(), &d.workspace),
            from: d.from,
            patch: d.patch,
        })
    })?;
    add::<api::WorkspacesRemove, _, _>(&mut m, |c, p| async move {
        let r = c.workspaces.remove(&p.workspace, p.force).await?;
        Ok(api::WorkspaceRemoved {
            workspace: workspace_info(r.project.as_str(), &r.workspace),
            branch_deleted: r.branch_deleted,
            branch_kept_because: r.branch_kept_because,
        })
    })?;
    add::<api::SettingsGet, _, _>(&mut m, |c, _| async move { Ok(c.settings.clone()) })?;
    add::<api::Discover, _, _>(&mut m, |_, _| async move { Ok(api::openrpc()) })?;
    Ok(m)
}

/// Registers one method: parses its params (by name), runs it, maps its error.
fn add<M, F, Fut>(m: &mut RpcModule<ApiContext>, f: F) -> Result<(), jsonrpsee::core::RegisterMethodError>
where
    M: Method,
    F: Fn(Arc<ApiContext>, M::Params) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<M::Result, CoreError>> + Send + 'static,
{
    m.register_async_method(M::NAME, move |params, ctx, _ext| {
        let f = f.clone();
        async move {
            let params = parse_params::<M>(&params)?;
            let result = f(ctx, params).await.map_err(|e| error_object(M::NAME, e))?;
            serde_json::to_value(result).map_err(|e| error_object(M::NAME, CoreError::Internal(Box::new(e))))
        }
    })?;
    Ok(())
}

fn parse_params<M: Method>(params: &Params<'_>) -> Result<M::Params, ErrorObjectOwned> {
    let raw = params.as_str().unwrap_or("{}");
    if !params.is_object() && params.as_str().is_some() {
        return Err(ErrorObjectOwned::owned(
            codes::INVALID_PARAMS,
            format!("{} takes its params by name, as an object; see `band schema {}`", M::NAME, M::NAME),
            None::<()>,
        ));
    }
    serde_json::from_str(raw).map_err(|e| {
        ErrorObjectOwned::owned(codes::INVALID_PARAMS, format!("invalid params for {}: {e}", M::NAME), None::<()>)
    })
}

/// The one place domain errors become JSON-RPC errors.
pub fn error_object(method: &str, e: CoreError) -> ErrorObjectOwned {
    let (code, message) = match e {
        CoreError::InvalidInput(m) => (codes::INVALID_PARAMS, m),
        CoreError::NotFound(m) => (codes::NOT_FOUND, m),
        CoreError::Conflict(m) => (codes::CONFLICT, m),
        CoreError::Refused(m) => (codes::REFUSED, m),
        CoreError::Internal(source) => {
            tracing::error!(method, error = %source, "internal error");
            (codes::INTERNAL, "internal error; the server's log has the details".to_owned())
        }
    };
    ErrorObjectOwned::owned(code, message, None::<()>)
}

pub fn project_info(p: &Project) -> api::ProjectInfo {
    api::ProjectInfo {
        id: p.id.0,
        name: p.name.to_string(),
        path: p.path.display().to_string(),
        default_branch: p.default_branch.to_string(),
        created_at: p.created_at,
    }
}

pub fn workspace_info(project: &str, w: &Workspace) -> api::WorkspaceInfo {
    api::WorkspaceInfo {
        id: w.id.0,
        project: project.to_owned(),
        branch: w.branch.to_string(),
        base: w.base.to_string(),
        path: w.path.display().to_string(),
        branch_created: w.branch_created,
        created_at: w.created_at,
    }
}
