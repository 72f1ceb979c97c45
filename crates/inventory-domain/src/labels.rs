//! The free-text fields of products and stores, each with its own bounds.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::text::bounded_text;

macro_rules! label {
    ($(#[$doc:meta])* $name:ident, $field:literal, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The fewest characters this field may hold (once trimmed).
            pub const MIN_CHARS: usize = $min;
            /// The most characters this field may hold.
            pub const MAX_CHARS: usize = $max;

            /// Trims and validates `text`.
            ///
            /// # Errors
            /// A [`ValidationError`] when `text` is blank, too long or holds control characters.
            pub fn parse(text: &str) -> Result<Self, ValidationError> {
                bounded_text($field, text, $min, $max).map(Self)
            }

            /// Like [`Self::parse`], for a field that may be absent: `None` and blank text give
            /// `None`.
            ///
            /// # Errors
            /// As [`Self::parse`].
            pub fn parse_optional(text: Option<&str>) -> Result<Option<Self>, ValidationError> {
                match text.map(str::trim) {
                    None | Some("") => Ok(None),
                    Some(text) => Self::parse(text).map(Some),
                }
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(label: $name) -> String {
                label.0
            }
        }
    };
}

label!(
    /// A product's name, 1 to 200 characters.
    ProductName, "name", 1, 200
);
label!(
    /// A product's description, up to 2 000 characters.
    Description, "description", 1, 2000
);
label!(
    /// A product's category (`electronics`), matched exactly by the catalogue's filter.
    Category, "category", 1, 100
);
label!(
    /// A store's name, such as `Madrid Centro`.
    StoreName, "name", 1, 200
);
label!(
    /// A store's street address.
    Address, "address", 1, 300
);
label!(
    /// A store's city.
    City, "city", 1, 100
);
label!(
    /// A store's country.
    Country, "country", 1, 100
);
label!(
    /// A store's phone number, as it is written for people to dial.
    Phone, "phone", 3, 40
);

/// A store's contact email: one `@` with text on both sides and no spaces. Deliverability is
/// not checked; that needs the network.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Validates an email address's shape.
    ///
    /// # Errors
    /// A [`ValidationError`] on `email` when the text does not look like `name@domain`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let email = bounded_text("email", text, 3, 254)?;
        let well_formed = matches!(email.split_once('@'),
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
            && !email.contains(char::is_whitespace);
        if !well_formed {
            return Err(ValidationError::new("email", "must look like name@domain"));
        }
        Ok(Self(email))
    }

    /// Like [`Self::parse`] for an optional field.
    ///
    /// # Errors
    /// As [`Self::parse`].
    pub fn parse_optional(text: Option<&str>) -> Result<Option<Self>, ValidationError> {
        match text.map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => Self::parse(text).map(Some),
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ValidationError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_product_name_is_rejected() {
        assert_eq!(ProductName::parse("").unwrap_err().field, "name");
    }

    #[test]
    fn a_blank_optional_label_is_absent() {
        assert_eq!(Category::parse_optional(Some("   ")).unwrap(), None);
    }

    #[test]
    fn emails_need_one_at_with_text_around_it() {
        assert!(Email::parse("madrid@tienda.es").is_ok());
        for bad in [
            "madrid",
            "@tienda.es",
            "madrid@",
            "a@b@c",
            "ma drid@tienda.es",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
