//! Mailrith Keys: the Settings > API Keys console of Mailrith.

pub mod api;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod middleware;
pub mod models;
pub mod routes;
pub mod startup;
pub mod static_files;
pub mod telemetry;
pub mod views;
