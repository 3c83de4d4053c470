//! ComposeX: a docker-compose file in, a CloudFormation template out.
//!
//! The stages are kept apart as kompose does: `compose` loads and validates the compose model
//! (it knows nothing of AWS), `expand` turns the model into CloudFormation resources one concern
//! at a time, `cfn` holds the template, logical-ID naming and quota checks. `macro_io` is the
//! CloudFormation macro contract; the two binaries (`bootstrap`, `composex`) are thin shells
//! around [`transform`].

pub mod cfn;
pub mod cli;
pub mod compose;
pub mod diagnostics;
pub mod expand;
pub mod macro_io;
pub mod resources;

pub use macro_io::{transform, transform_json, MacroRequest, MacroResponse, Rendered};
