//! The error a contract function returns; its message becomes the
//! transaction's error message, so write it for the person who sent the call.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractError {
    message: String,
}

impl ContractError {
    pub fn new(message: impl Into<String>) -> Self {
        ContractError { message: message.into() }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ContractError {}

impl From<String> for ContractError {
    fn from(message: String) -> Self {
        ContractError { message }
    }
}

impl From<&str> for ContractError {
    fn from(message: &str) -> Self {
        ContractError::new(message)
    }
}

impl From<serde_json::Error> for ContractError {
    fn from(e: serde_json::Error) -> Self {
        ContractError::new(format!("JSON: {e}"))
    }
}
