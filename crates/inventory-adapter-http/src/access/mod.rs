//! Who is calling and what they may do, one concept per file:
//!
//! - [`token`]: bearer JWTs (HS256): issuing and verifying, [`Claims`], [`Role`];
//! - [`caller`]: [`Caller`], the verified caller of a request (an actix extractor), a value
//!   that cannot hold an invalid combination (a vendor always has a store);
//! - [`known_stores`]: the stores a vendor token may name (existing ones);
//! - [`policy`]: every access decision of the API, in one place, with a table test over
//!   every role, action and own/other combination.

pub mod caller;
pub mod known_stores;
pub mod policy;
pub mod token;

pub use caller::{Actor, Caller};
pub use known_stores::KnownStores;
pub use policy::{Action, authorize, event_visible, import_scope, scope_reservations};
pub use token::{Auth, Claims, Role, TokenError};
