//! Server functions, one module per feature (as `pages` has one per page).
//! Each one is a public endpoint: it checks who is calling, calls the store,
//! and maps the error. The rules live in `domain` and `store`.
// A server function's arguments are its form's fields, one to one, so an
// intake form has many; the macro copies them into code we cannot annotate.
#![allow(clippy::too_many_arguments)]

use domain::view::Receipt;
use serde::{Deserialize, Serialize};

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod board;
pub mod callbacks;
pub mod cases;
pub mod figures;
pub mod grid;
pub mod home;
pub mod items;
pub mod ledger;
pub mod party;
pub mod public;
pub mod regions;
pub mod sessions;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod supervision;
pub mod wishes;

pub use accounts::*;
pub use admin::*;
pub use auth::*;
pub use board::*;
pub use callbacks::*;
pub use cases::*;
pub use figures::*;
pub use grid::*;
pub use home::*;
pub use items::*;
pub use ledger::*;
pub use party::*;
pub use public::*;
pub use regions::*;
pub use sessions::*;
pub use supervision::*;
pub use wishes::*;

/// A receipt ready to print: the QR code opens the case's public page with
/// the code filled in (the second factor is still asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedReceipt {
    pub receipt: Receipt,
    pub url: String,
    pub qr_svg: String,
}
