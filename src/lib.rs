//! Mailrith Keys: the Settings > API Keys console of Mailrith.

pub mod api;
pub mod app;
pub mod assets;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod handlers;
pub mod jobs;
pub mod mail;
pub mod models;
pub mod routes;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod views;
pub mod web;
