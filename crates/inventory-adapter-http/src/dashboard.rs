//! The dashboard at `/`: a page for people (store managers, the operations team) that shows
//! the chain's stock moving live, served by the same binary.
//!
//! Plain HTML, CSS and JavaScript modules from `dashboard/`, embedded at compile time: no
//! build step, no CDN, nothing to fetch but this server. The page is a client of the public
//! API like any other (the live stream, the catalogue, and with a pasted token the staff
//! reads and stock changes), so it needs no routes of its own beyond its files, and it is
//! not part of the OpenAPI document.
//!
//! Its answers carry a strict Content-Security-Policy: scripts, styles and connections from
//! this origin only, no inline script, no framing. The page writes every value it shows as
//! text, never as markup, so a product name cannot become script even if the policy were
//! lifted.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::ApiError;

/// One embedded file of the page.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const INDEX: Asset = Asset {
    name: "index.html",
    content_type: "text/html; charset=utf-8",
    body: include_str!("../dashboard/index.html"),
};

/// The files under `/dashboard/`.
const ASSETS: &[Asset] = &[
    Asset {
        name: "dashboard.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../dashboard/dashboard.css"),
    },
    module("main.js", include_str!("../dashboard/main.js")),
    module("api.js", include_str!("../dashboard/api.js")),
    module("session.js", include_str!("../dashboard/session.js")),
    module("live.js", include_str!("../dashboard/live.js")),
    module("grid.js", include_str!("../dashboard/grid.js")),
    module("adjust.js", include_str!("../dashboard/adjust.js")),
    module("feed.js", include_str!("../dashboard/feed.js")),
    module("panels.js", include_str!("../dashboard/panels.js")),
    module("chart.js", include_str!("../dashboard/chart.js")),
    module("text.js", include_str!("../dashboard/text.js")),
];

const fn module(name: &'static str, body: &'static str) -> Asset {
    Asset {
        name,
        content_type: "text/javascript; charset=utf-8",
        body,
    }
}

/// Only this origin, no inline script, no framing; `data:` images for the empty favicon.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Registers `/`, `/dashboard` and the page's files.
pub fn configure(config: &mut ServiceConfig<'_>) {
    for path in ["/", "/dashboard"] {
        config
            .route(path, web::get().to(index))
            .route(path, web::head().to(index));
    }
    config
        .route("/dashboard/{file}", web::get().to(asset))
        .route("/dashboard/{file}", web::head().to(asset));
}

async fn index() -> HttpResponse {
    serve(&INDEX)
}

async fn asset(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    ASSETS
        .iter()
        .find(|asset| asset.name == file.as_str())
        .map(serve)
        .ok_or_else(|| ApiError::RouteNotFound(format!("/dashboard/{file}")))
}

fn serve(asset: &Asset) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(asset.content_type)
        // Never reused without asking (the files are small and carry no validator, so each
        // load fetches them again): a new binary's page is never mixed with an old one's.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(asset.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_page_imports_is_served() {
        let served: Vec<&str> = ASSETS.iter().map(|asset| asset.name).collect();
        let mut sources = vec![INDEX.body];
        sources.extend(ASSETS.iter().map(|asset| asset.body));
        for source in sources {
            for (position, _) in source.match_indices("/dashboard/") {
                let rest = &source[position + "/dashboard/".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                    .collect();
                assert!(served.contains(&name.as_str()), "{name} is not served");
            }
            for (position, _) in source.match_indices("from './") {
                let rest = &source[position + "from './".len()..];
                let name: String = rest.chars().take_while(|c| *c != '\'').collect();
                assert!(served.contains(&name.as_str()), "{name} is not served");
            }
        }
    }
}
