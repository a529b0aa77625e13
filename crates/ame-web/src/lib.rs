//! The AME dashboard: server-rendered pages for the people of an organization.
//!
//! People sign in with an email and password (`/login`); a server-side session (an HttpOnly,
//! `SameSite=Strict` cookie holding 32 random bytes) then carries them through `/app/...`. Every
//! handler here only authenticates (the session, and on POST its CSRF token), parses the form,
//! calls the [`ame_app::Engine`] use case the JSON API calls too, and renders the result with
//! maud; no rule lives here. Every page works without JavaScript; the one script
//! (`/app/static/dashboard.js`) only adds progress states and the live brand preview. Pages are
//! served with a strict Content-Security-Policy (no inline script or style) and every byte they
//! need comes from this binary.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod assets_view;
mod charts;
mod error;
mod form;
mod layout;
mod pages;
mod security;
mod session;
mod static_files;

pub use error::WebError;
pub use security::{CONTENT_SECURITY_POLICY, PREVIEW_POLICY};
pub use session::{LOGIN_CSRF_COOKIE, SESSION_COOKIE};

use actix_web::web;

/// Registers the sign-in pages and everything under `/app`. The application must hold a
/// `web::Data<ame_app::Engine>`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/login")
            .wrap(actix_web::middleware::from_fn(security::headers))
            .route(web::get().to(pages::login::form))
            .route(web::post().to(pages::login::submit)),
    )
    .service(
        web::resource("/logout")
            .wrap(actix_web::middleware::from_fn(security::headers))
            .route(web::post().to(pages::login::logout)),
    )
    .service(
        web::scope("/app")
            .wrap(actix_web::middleware::from_fn(security::headers))
            .route("", web::get().to(pages::home))
            .route("/", web::get().to(pages::home))
            .route("/static/{name}", web::get().to(static_files::serve))
            .route("/org", web::post().to(pages::login::switch_org))
            .route("/campaigns", web::get().to(pages::campaigns::list))
            .route("/campaigns", web::post().to(pages::campaigns::create))
            .route("/campaigns/new", web::get().to(pages::campaigns::new_form))
            .route("/campaigns/{id}", web::get().to(pages::detail::show))
            .route("/campaigns/{id}/edit", web::post().to(pages::detail::edit))
            .route(
                "/campaigns/{id}/status",
                web::post().to(pages::detail::status),
            )
            .route(
                "/campaigns/{id}/generate",
                web::post().to(pages::detail::generate),
            )
            .route(
                "/campaigns/{id}/assets/{asset}/files/{name}",
                web::get().to(pages::detail::asset_file),
            )
            .route(
                "/campaigns/{id}/forecast",
                web::get().to(pages::forecast::show),
            )
            .route(
                "/campaigns/{id}/results",
                web::get().to(pages::results::show),
            )
            .route(
                "/campaigns/{id}/results",
                web::post().to(pages::results::record_one),
            )
            .route(
                "/campaigns/{id}/results/upload",
                web::post().to(pages::results::upload),
            )
            .route(
                "/campaigns/{id}/schedule",
                web::get().to(pages::running::schedule),
            )
            .route(
                "/campaigns/{id}/experiments",
                web::get().to(pages::running::experiments),
            )
            .route("/brand", web::get().to(pages::brand::show))
            .route("/brand", web::post().to(pages::brand::save))
            .route("/brand/preview.png", web::get().to(pages::brand::preview))
            .route("/keys", web::get().to(pages::keys::show))
            .route("/keys", web::post().to(pages::keys::create))
            .route("/keys/{id}/revoke", web::post().to(pages::keys::revoke))
            .route(
                "/sending/resume",
                web::post().to(pages::running::resume_sending),
            )
            .route("/leads", web::get().to(pages::people::leads))
            .route("/contacts", web::get().to(pages::people::contacts))
            .route("/targeting", web::get().to(pages::people::targeting))
            .default_service(web::to(pages::not_found)),
    );
}
