//! Text folded for search: what a shop assistant types ("camion") finds what the catalogue
//! says ("Camión").

/// `text` in lower case with the diacritics of Latin letters removed (`Camión` → `camion`,
/// `Ñandú` → `nandu`, `Straße` → `strasse`), so search compares without case or accents.
/// Storage keeps a product's folded name and SKU beside them, and a query is folded the
/// same way, so both sides agree whatever the database's collation.
pub fn fold_for_search(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match base_letter(c) {
            Some(base) => folded.push_str(base),
            None => folded.push(c),
        }
    }
    folded
}

/// The plain letters of a lower-case Latin letter with a diacritic (Latin-1 and Latin
/// Extended-A, which cover the languages of the chain's customers).
fn base_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::fold_for_search;

    #[test]
    fn case_and_accents_are_folded() {
        assert_eq!(fold_for_search("Camión"), "camion");
        assert_eq!(fold_for_search("CAMIÓN de JUGUETE"), "camion de juguete");
        assert_eq!(fold_for_search("Ñandú"), "nandu");
        assert_eq!(fold_for_search("Straße Çà"), "strasse ca");
        assert_eq!(fold_for_search("SKU-001"), "sku-001");
    }

    #[test]
    fn folding_twice_changes_nothing() {
        for text in ["Camión", "Pingüino", "ÆØÅ", "日本"] {
            let once = fold_for_search(text);
            assert_eq!(fold_for_search(&once), once);
        }
    }
}
