//! Bounded, trimmed, printable text: the shared rule behind names, codes and descriptions.

use crate::ValidationError;

/// Trims `value` and checks it holds between `min` and `max` characters and no control
/// characters (a newline in a product name is a client bug, not data).
pub(crate) fn bounded_text(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length < min {
        return Err(if min == 1 {
            ValidationError::new(field, "must not be empty")
        } else {
            ValidationError::new(field, format!("must have at least {min} characters"))
        });
    }
    if length > max {
        return Err(ValidationError::new(
            field,
            format!("must have at most {max} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed() {
        assert_eq!(bounded_text("name", "  Laptop ", 1, 10).unwrap(), "Laptop");
    }

    #[test]
    fn blank_text_is_rejected_as_empty() {
        let error = bounded_text("name", "   ", 1, 10).unwrap_err();
        assert_eq!(error.field, "name");
        assert_eq!(error.message, "must not be empty");
    }

    #[test]
    fn text_longer_than_the_limit_is_rejected() {
        assert!(bounded_text("name", "abcdef", 1, 5).is_err());
        assert!(bounded_text("name", "abcde", 1, 5).is_ok());
    }

    #[test]
    fn control_characters_are_rejected() {
        assert!(bounded_text("name", "a\nb", 1, 5).is_err());
    }
}
