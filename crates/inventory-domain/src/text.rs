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
    refuse_hidden(field, trimmed)?;
    Ok(trimmed.to_owned())
}

/// Refuses characters that render as nothing or reorder what follows: text must show what it
/// stores (a product name with a right-to-left override or a zero-width space reads
/// differently from what it is, and two such names look alike).
pub(crate) fn refuse_hidden(field: &'static str, text: &str) -> Result<(), ValidationError> {
    if text.chars().any(is_hidden) {
        return Err(ValidationError::new(
            field,
            "must not contain invisible or direction-changing characters",
        ));
    }
    Ok(())
}

/// Bidirectional controls, zero-width characters and other invisible formatting.
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{034F}'                    // combining grapheme joiner
        | '\u{061C}'                    // Arabic letter mark
        | '\u{115F}' | '\u{1160}'       // Hangul fillers
        | '\u{180E}'                    // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'       // zero-width space, joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}'       // embeddings and overrides
        | '\u{2060}'..='\u{2064}'       // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'       // isolates
        | '\u{3164}'                    // Hangul filler
        | '\u{FEFF}'                    // zero-width no-break space
        | '\u{FFA0}'                    // halfwidth Hangul filler
    )
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
    fn invisible_and_direction_changing_characters_are_rejected() {
        for hidden in [
            "Lap\u{202E}pot",
            "Lap\u{200B}top",
            "\u{2066}Laptop\u{2069}",
            "Lap\u{FEFF}top",
        ] {
            let error = bounded_text("name", hidden, 1, 50).unwrap_err();
            assert_eq!(error.field, "name");
            assert!(error.message.contains("invisible"), "{hidden:?}");
        }
        assert!(bounded_text("name", "Tienda Málaga – Ñandú 日本", 1, 50).is_ok());
    }

    #[test]
    fn control_characters_are_rejected() {
        assert!(bounded_text("name", "a\nb", 1, 5).is_err());
    }
}
