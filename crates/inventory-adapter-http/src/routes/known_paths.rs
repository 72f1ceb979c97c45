//! Which methods each documented path answers, so that a known path asked with another method
//! is a 405 with `Allow` rather than a 404. Read once from the OpenAPI document, which lists
//! every API route the server registers (see `routes::configure`), so the two cannot disagree.
//! The dashboard's pages (`/`, `/dashboard/...`) are not API and not in the document: another
//! method there is a plain 404.

use actix_web::dev::ResourceDef;

/// A documented path and the methods it answers.
struct KnownPath {
    pattern: ResourceDef,
    methods: Vec<&'static str>,
}

/// Every documented path, built once at start-up from the document the server serves.
pub struct KnownPaths(Vec<KnownPath>);

impl KnownPaths {
    /// The paths of `document` and their methods.
    pub fn from_document(document: &utoipa::openapi::OpenApi) -> Self {
        Self(
            document
                .paths
                .paths
                .iter()
                .map(|(path, item)| KnownPath {
                    pattern: ResourceDef::new(path.as_str()),
                    methods: methods_of_item(item),
                })
                .collect(),
        )
    }

    /// The methods `path` answers, if it is a documented path; `None` for an unknown path.
    pub fn methods_of(&self, path: &str) -> Option<Vec<&'static str>> {
        let mut methods: Vec<&'static str> = self
            .0
            .iter()
            .filter(|known| known.pattern.is_match(path))
            .flat_map(|known| known.methods.iter().copied())
            .collect();
        if methods.is_empty() {
            return None;
        }
        methods.sort_unstable();
        methods.dedup();
        Some(methods)
    }
}

/// The methods a path item of the document has operations for.
pub(crate) fn methods_of_item(item: &utoipa::openapi::PathItem) -> Vec<&'static str> {
    [
        ("GET", item.get.is_some()),
        ("POST", item.post.is_some()),
        ("PUT", item.put.is_some()),
        ("PATCH", item.patch.is_some()),
        ("DELETE", item.delete.is_some()),
    ]
    .into_iter()
    .filter_map(|(method, present)| present.then_some(method))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_parameters_lists_every_method_of_its_routes() {
        let known = KnownPaths::from_document(&crate::openapi::document());
        let methods_of = |path| known.methods_of(path);
        let methods = methods_of("/api/v1/products/0190b6a0-0000-7000-8000-000000000000")
            .expect("a known path");
        assert!(
            methods.contains(&"GET") && methods.contains(&"PUT"),
            "{methods:?}"
        );
        assert!(methods.contains(&"DELETE"), "{methods:?}");
        assert_eq!(methods_of("/api/v1/nothing-here"), None);
        assert_eq!(methods_of("/health"), Some(vec!["GET"]));
    }
}
