//! Identifiers: generated UUIDs for products, reservations and events; human codes for stores;
//! opaque caller-supplied ids for customers and users.
//!
//! Every identifier is a newtype so a store code can never be passed where a product id is
//! expected, and every one is validated when built from text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ValidationError;

macro_rules! uuid_identifier {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an already generated UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Parses the textual form of a UUID.
            ///
            /// # Errors
            /// A [`ValidationError`] on this field when `text` is not a UUID.
            pub fn parse(text: &str) -> Result<Self, ValidationError> {
                Uuid::parse_str(text.trim())
                    .map(Self)
                    .map_err(|_| ValidationError::new($field, "must be a UUID"))
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }
    };
}

uuid_identifier!(
    /// Identifies a product of the catalogue (a UUID v7 when the service generates it).
    ProductId,
    "product_id"
);
uuid_identifier!(
    /// Identifies a reservation.
    ReservationId,
    "reservation_id"
);
uuid_identifier!(
    /// Identifies a cart: reservations of several lines made, and resolved, together.
    CartId,
    "cart_id"
);
uuid_identifier!(
    /// Identifies a transfer of units between two stores.
    TransferId,
    "transfer_id"
);
uuid_identifier!(
    /// Identifies one event, stable across re-deliveries so consumers can de-duplicate.
    EventId,
    "event_id"
);

macro_rules! text_identifier {
    ($(#[$doc:meta])* $name:ident, $field:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `text` (see the type's documentation for the rule).
            ///
            /// # Errors
            /// A [`ValidationError`] on this field when `text` breaks the rule.
            pub fn parse(text: &str) -> Result<Self, ValidationError> {
                let check: fn(&str) -> Result<String, ValidationError> = $check;
                check(text).map(Self)
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_identifier!(
    /// A store's code, such as `MAD-001`: 3 to 50 characters, letters, digits and `-`,
    /// starting with a letter or a digit. Stored upper-case, so `mad-001` names the same store.
    StoreId,
    "store_id",
    |text| code("store_id", text, 3, 50, &['-'])
);

text_identifier!(
    /// A stock keeping unit: 1 to 64 characters, letters, digits, `-`, `_` and `.`.
    /// Stored upper-case so that `hp-15` and `HP-15` cannot become two products.
    Sku,
    "sku",
    |text| code("sku", text, 1, 64, &['-', '_', '.'])
);

text_identifier!(
    /// Who a reservation is for, as the caller's own identity system names them:
    /// 1 to 128 printable characters without spaces.
    CustomerId,
    "customer_id",
    |text| opaque("customer_id", text)
);

text_identifier!(
    /// Who made a stock change (a till operator, a warehouse system), kept in the event for
    /// audit: 1 to 128 printable characters without spaces.
    UserId,
    "user_id",
    |text| opaque("user_id", text)
);

/// Codes (store ids, SKUs): upper-cased ASCII letters and digits plus a few separators.
fn code(
    field: &'static str,
    text: &str,
    min: usize,
    max: usize,
    separators: &[char],
) -> Result<String, ValidationError> {
    let code = text.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if code.len() < min || code.len() > max {
        return Err(ValidationError::new(
            field,
            format!("must have between {min} and {max} characters"),
        ));
    }
    if !code.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(ValidationError::new(
            field,
            "must start with a letter or a digit",
        ));
    }
    if let Some(bad) = code
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !separators.contains(c))
    {
        return Err(ValidationError::new(
            field,
            format!("must not contain {bad:?}"),
        ));
    }
    Ok(code)
}

/// Ids that belong to someone else's system: kept exactly, only bounded and printable.
fn opaque(field: &'static str, text: &str) -> Result<String, ValidationError> {
    let id = text.trim();
    if id.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if id.chars().count() > 128 {
        return Err(ValidationError::new(
            field,
            "must have at most 128 characters",
        ));
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ValidationError::new(
            field,
            "must not contain spaces or control characters",
        ));
    }
    crate::text::refuse_hidden(field, id)?;
    Ok(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn opaque_ids_refuse_invisible_characters() {
        assert!(UserId::parse("clerk\u{200B}17").is_err());
        assert!(CustomerId::parse("cust\u{202E}654").is_err());
        assert!(CustomerId::parse("cust-456").is_ok());
    }

    #[test]
    fn store_codes_are_upper_cased() {
        assert_eq!(StoreId::parse(" mad-001 ").unwrap().as_str(), "MAD-001");
    }

    #[test]
    fn store_codes_of_the_wrong_shape_are_rejected() {
        for bad in ["", "AB", "MAD 001", "-MAD", "MAD_001", &"A".repeat(51)] {
            let error = StoreId::parse(bad).unwrap_err();
            assert_eq!(error.field, "store_id", "{bad:?} should be rejected");
        }
    }

    #[test]
    fn empty_sku_is_rejected() {
        assert_eq!(
            Sku::parse("  ").unwrap_err(),
            ValidationError::new("sku", "must not be empty")
        );
    }

    #[test]
    fn skus_differing_only_in_case_are_equal() {
        assert_eq!(
            Sku::parse("hp-15.a_1").unwrap(),
            Sku::parse("HP-15.A_1").unwrap()
        );
    }

    #[test]
    fn customer_ids_keep_their_case_and_reject_spaces() {
        assert_eq!(CustomerId::parse("Cust-456").unwrap().as_str(), "Cust-456");
        assert!(CustomerId::parse("cust 456").is_err());
        assert!(CustomerId::parse(&"c".repeat(129)).is_err());
    }

    #[test]
    fn product_ids_must_be_uuids() {
        assert!(ProductId::parse("prod-123").is_err());
        assert!(ProductId::parse("0192f0c1-7c4e-7b35-9f1e-6d1c6b8a9e01").is_ok());
    }

    #[test]
    fn deserialising_validates() {
        let parsed: Result<StoreId, _> = serde_json::from_str("\"MAD 001\"");
        assert!(parsed.is_err());
        let parsed: StoreId = serde_json::from_str("\"bcn-001\"").unwrap();
        assert_eq!(parsed.as_str(), "BCN-001");
    }

    proptest! {
        #[test]
        fn any_valid_sku_round_trips_through_text(sku in "[A-Z0-9][A-Z0-9._-]{0,63}") {
            let parsed = Sku::parse(&sku).unwrap();
            prop_assert_eq!(parsed.as_str(), sku.as_str());
            prop_assert_eq!(Sku::parse(parsed.as_str()).unwrap(), parsed);
        }

        #[test]
        fn store_id_parsing_never_panics(text in ".{0,80}") {
            let _ = StoreId::parse(&text);
        }
    }
}
