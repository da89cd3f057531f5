//! The BaaS's tables, one module each: rows read into typed values, the
//! queries other layers share. Nothing here knows about HTTP handlers or
//! job bodies.

pub mod alarms;
pub mod backups;
pub mod chains;
pub mod channels;
pub mod nodes;
pub mod tenants;
pub mod users;
