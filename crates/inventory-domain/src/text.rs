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
/// the fillers that render as nothing. Variation selectors are allowed: emoji need them, and
/// they change only how the character before them is drawn.
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                          // soft hyphen
        | '\u{034F}'                        // combining grapheme joiner
        | '\u{0600}'..='\u{0605}'           // Arabic number signs
        | '\u{061C}'                        // Arabic letter mark
        | '\u{06DD}' | '\u{070F}'           // end of ayah, Syriac abbreviation mark
        | '\u{0890}' | '\u{0891}' | '\u{08E2}'
        | '\u{115F}' | '\u{1160}'           // Hangul fillers
        | '\u{17B4}' | '\u{17B5}'           // Khmer inherent vowels
        | '\u{180E}'                        // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'           // zero-width space, joiners, LRM, RLM
        | '\u{2028}' | '\u{2029}'           // line and paragraph separators
        | '\u{202A}'..='\u{202E}'           // embeddings and overrides
        | '\u{2060}'..='\u{2064}'           // word joiner, invisible operators
        | '\u{2066}'..='\u{206F}'           // isolates, deprecated format characters
        | '\u{3164}'                        // Hangul filler
        | '\u{FEFF}'                        // zero-width no-break space
        | '\u{FFA0}'                        // halfwidth Hangul filler
        | '\u{FFF9}'..='\u{FFFB}'           // interlinear annotation
        | '\u{110BD}' | '\u{110CD}'         // Kaithi number signs
        | '\u{13430}'..='\u{1343F}'         // Egyptian hieroglyph format controls
        | '\u{1BCA0}'..='\u{1BCA3}'         // shorthand format controls
        | '\u{1D173}'..='\u{1D17A}'         // musical symbol format controls
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}' // tag characters
    )
}

/// The characters [`is_hidden`] refuses, as the body of a regular-expression class (for the
/// OpenAPI document): `\uXXXX` escapes, and the characters themselves beyond the 16-bit range.
pub const HIDDEN_CHARACTER_CLASS: &str = "\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u115f\\u1160\\u17b4\\u17b5\\u180e\\u200b-\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\u3164\\ufeff\\uffa0\\ufff9-\\ufffb\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}";

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
    fn control_characters_are_rejected() {
        assert!(bounded_text("name", "a\nb", 1, 5).is_err());
    }
}

#[cfg(test)]
mod class_tests {
    use super::*;

    /// The class the document states and the rule the server applies are the same set.
    #[test]
    fn the_documented_class_names_every_hidden_character() {
        let mut ranges: Vec<(char, char)> = Vec::new();
        let mut rest = HIDDEN_CHARACTER_CLASS.to_owned();
        let mut chars = Vec::new();
        while !rest.is_empty() {
            if let Some(hex) = rest.strip_prefix("\\u") {
                let code = u32::from_str_radix(&hex[..4], 16).expect("four hex digits");
                chars.push(char::from_u32(code).expect("a char"));
                rest = hex[4..].to_owned();
            } else if let Some(after) = rest.strip_prefix('-') {
                chars.push('-');
                rest = after.to_owned();
            } else {
                let c = rest.chars().next().expect("a char");
                chars.push(c);
                rest = rest[c.len_utf8()..].to_owned();
            }
        }
        let mut index = 0;
        while index < chars.len() {
            if chars.get(index + 1) == Some(&'-') {
                ranges.push((chars[index], chars[index + 2]));
                index += 3;
            } else {
                ranges.push((chars[index], chars[index]));
                index += 1;
            }
        }
        let in_class = |c: char| ranges.iter().any(|(low, high)| (*low..=*high).contains(&c));
        for code in 0..=0x10FFFF_u32 {
            if let Some(c) = char::from_u32(code) {
                assert_eq!(is_hidden(c), in_class(c), "{code:#X}");
            }
        }
    }
}
