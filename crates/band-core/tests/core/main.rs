//! band-core's integration tests, one binary (each module a feature): the services on in-memory fakes of every port.

mod access;
mod chats;
mod cronjobs;
mod policies;
mod services;
mod setup;
mod terminals;
mod tunnels;
