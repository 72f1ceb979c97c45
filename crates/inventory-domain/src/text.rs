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

/// Every Unicode format character (general category Cf: bidirectional controls, zero-width
/// characters, invisible operators, tag characters...), the line and paragraph separators, and
/// the fillers that render as nothing, as sorted inclusive ranges. Variation selectors are
/// allowed: emoji need them, and they change only how the character before them is drawn.
const HIDDEN: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{034F}', '\u{034F}'),   // combining grapheme joiner
    ('\u{0600}', '\u{0605}'),   // Arabic number signs
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark
    ('\u{06DD}', '\u{06DD}'),   // end of ayah
    ('\u{070F}', '\u{070F}'),   // Syriac abbreviation mark
    ('\u{0890}', '\u{0891}'),   // Arabic pound and piastre marks above
    ('\u{08E2}', '\u{08E2}'),   // Arabic disputed end of ayah
    ('\u{115F}', '\u{1160}'),   // Hangul fillers
    ('\u{17B4}', '\u{17B5}'),   // Khmer inherent vowels
    ('\u{180E}', '\u{180E}'),   // Mongolian vowel separator
    ('\u{200B}', '\u{200F}'),   // zero-width space, joiners, LRM, RLM
    ('\u{2028}', '\u{2029}'),   // line and paragraph separators
    ('\u{202A}', '\u{202E}'),   // embeddings and overrides
    ('\u{2060}', '\u{2064}'),   // word joiner, invisible operators
    ('\u{2066}', '\u{206F}'),   // isolates, deprecated format characters
    ('\u{3164}', '\u{3164}'),   // Hangul filler
    ('\u{FEFF}', '\u{FEFF}'),   // zero-width no-break space
    ('\u{FFA0}', '\u{FFA0}'),   // halfwidth Hangul filler
    ('\u{FFF9}', '\u{FFFB}'),   // interlinear annotation
    ('\u{110BD}', '\u{110BD}'), // Kaithi number sign
    ('\u{110CD}', '\u{110CD}'), // Kaithi number sign above
    ('\u{13430}', '\u{1343F}'), // Egyptian hieroglyph format controls
    ('\u{1BCA0}', '\u{1BCA3}'), // shorthand format controls
    ('\u{1D173}', '\u{1D17A}'), // musical symbol format controls
    ('\u{E0001}', '\u{E0001}'), // language tag
    ('\u{E0020}', '\u{E007F}'), // tag characters
];

fn is_hidden(c: char) -> bool {
    HIDDEN
        .binary_search_by(|&(low, high)| {
            if high < c {
                std::cmp::Ordering::Less
            } else if low > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The characters text fields refuse as hidden, as the body of a regular-expression class
/// (for the OpenAPI document): `\uXXXX` escapes, and the characters themselves beyond the
/// 16-bit range (which `\u` cannot write).
pub fn hidden_character_class() -> String {
    let write = |c: char| {
        if u32::from(c) <= 0xFFFF {
            format!("\\u{:04x}", u32::from(c))
        } else {
            c.to_string()
        }
    };
    HIDDEN
        .iter()
        .map(|&(low, high)| {
            if low == high {
                write(low)
            } else {
                format!("{}-{}", write(low), write(high))
            }
        })
        .collect()
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
            "Laptop\u{E0041}",
            "Lap\u{2028}top",
            "Lap\u{206A}top",
        ] {
            let error = bounded_text("name", hidden, 1, 50).unwrap_err();
            assert_eq!(error.field, "name");
            assert!(error.message.contains("invisible"), "{hidden:?}");
        }
        assert!(bounded_text("name", "Tienda Málaga – Ñandú 日本", 1, 50).is_ok());
        assert!(
            bounded_text("name", "Gift \u{2764}\u{FE0F}", 1, 50).is_ok(),
            "an emoji's variation selector is part of it"
        );
    }

    #[test]
    fn the_hidden_ranges_are_sorted_and_apart_so_the_search_finds_each() {
        assert!(HIDDEN.iter().all(|(low, high)| low <= high));
        assert!(HIDDEN.windows(2).all(|pair| pair[0].1 < pair[1].0));
        for &(low, high) in HIDDEN {
            assert!(is_hidden(low) && is_hidden(high), "{low:?}..{high:?}");
        }
        assert!(!is_hidden('a') && !is_hidden('\u{FE0F}') && !is_hidden('\u{E0080}'));
    }

    #[test]
    fn the_documented_class_escapes_the_16_bit_range_and_writes_the_rest() {
        let class = hidden_character_class();
        assert!(
            class.starts_with("\\u00ad\\u034f\\u0600-\\u0605"),
            "{class}"
        );
        assert!(class.ends_with("\u{E0001}\u{E0020}-\u{E007F}"), "{class}");
    }

    #[test]
    fn control_characters_are_rejected() {
        assert!(bounded_text("name", "a\nb", 1, 5).is_err());
    }
}
