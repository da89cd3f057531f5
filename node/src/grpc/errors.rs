//! gRPC status codes for the node's errors: what was wrong and what to do.

use tonic::Status;
use weft_contracts::ExecutionError;

use crate::lifecycle::LifecycleError;
use crate::EndorseError;

pub fn endorse_status(e: &EndorseError) -> Status {
    let message = e.to_string();
    match e {
        EndorseError::Malformed(_) | EndorseError::WrongChannel { .. } | EndorseError::BadTxId => {
            Status::invalid_argument(message)
        }
        EndorseError::Creator(_) | EndorseError::Forbidden(_) => Status::permission_denied(message),
        EndorseError::BadSignature => Status::unauthenticated(message),
        EndorseError::Contract(f) => match &f.error {
            ExecutionError::UnknownContract { .. } | ExecutionError::NotInstalled { .. } => Status::not_found(message),
            ExecutionError::Failed { message: m, .. } if m.starts_with("unknown function") => {
                Status::not_found(message)
            }
            ExecutionError::Failed { .. } | ExecutionError::Panicked { .. } => Status::aborted(message),
            ExecutionError::OutOfFuel { .. }
            | ExecutionError::MemoryLimit { .. }
            | ExecutionError::TooLarge { .. }
            | ExecutionError::TooManyEvents { .. }
            | ExecutionError::RangeTooLarge { .. }
            | ExecutionError::CallDepth { .. } => Status::resource_exhausted(message),
            ExecutionError::State(_) => Status::unavailable(message),
            _ => Status::aborted(message),
        },
        EndorseError::Lifecycle(l) => match l {
            LifecycleError::NotApproved { .. } => Status::permission_denied(message),
            LifecycleError::AlreadyDeployed(_)
            | LifecycleError::NotDeployed(_)
            | LifecycleError::WrongSequence { .. }
            | LifecycleError::SameVersion { .. } => Status::failed_precondition(message),
            LifecycleError::UnknownFunction(_) => Status::not_found(message),
            LifecycleError::State(_) => Status::unavailable(message),
            _ => Status::invalid_argument(message),
        },
    }
}
