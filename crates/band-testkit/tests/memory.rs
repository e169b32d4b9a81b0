//! The storage contract against the in-memory fake.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use async_trait::async_trait;
use band_core::ports::ProjectStore;
use band_core::{NewProject, Project, ProjectId, ProjectName, StoreError};
use band_testkit::contract;
use band_testkit::memory::MemoryStore;

/// Drives a future to completion on this thread. band-testkit has no async runtime, and the fake
/// needs none: it never waits on I/O.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

#[test]
fn memory_store_obeys_the_store_contract() {
    block_on(contract::all(|| async { MemoryStore::new() }));
}

#[test]
fn memory_store_obeys_the_cronjob_contract() {
    block_on(contract::cron_all(|| async { MemoryStore::new() }));
}

/// Renames a project on a name conflict instead of refusing it: a broken store the suite must catch.
struct Renaming(MemoryStore);

#[async_trait]
impl ProjectStore for Renaming {
    async fn insert_project(&self, mut new: NewProject) -> Result<Project, StoreError> {
        if self.0.project_by_name(&new.name).await.is_ok() {
            new.name = ProjectName::new(&format!("{}-2", new.name)).expect("a valid name");
        }
        self.0.insert_project(new).await
    }
    async fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        self.0.list_projects().await
    }
    async fn project_by_name(&self, name: &ProjectName) -> Result<Project, StoreError> {
        self.0.project_by_name(name).await
    }
    async fn project_by_id(&self, id: ProjectId) -> Result<Project, StoreError> {
        self.0.project_by_id(id).await
    }
    async fn delete_project(&self, id: ProjectId) -> Result<(), StoreError> {
        self.0.delete_project(id).await
    }
}

#[test]
fn the_contract_fails_a_store_that_breaks_it() {
    let outcome = std::panic::catch_unwind(|| {
        block_on(contract::duplicate_project_names_are_refused(&Renaming(MemoryStore::new())));
    });
    assert!(outcome.is_err(), "a store that renames instead of refusing a duplicate must fail the contract");
}
