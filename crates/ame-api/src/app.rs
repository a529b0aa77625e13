//! The actix application: routes, OpenAPI registration, Swagger UI, request ids, metrics and the
//! problem-details fallbacks for unknown paths and unsupported methods.

use crate::openapi::ApiDoc;
use crate::problem::{ErrorCode, Problem};
use crate::routes::{
    assets, brand, campaigns, confirm, contacts, execution, keys, ops, optimisation,
    provider_events, public, results, tracking,
};
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, Error, HttpRequest, HttpResponse, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, UtoipaApp, scope};
use utoipa_swagger_ui::SwaggerUi;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";
/// Where Swagger UI is served.
pub const DOCS_PATH: &str = "/docs/";
/// The request-id header, accepted from clients and always returned.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

fn register<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = Error, InitError = ()>,
{
    app.openapi(ApiDoc::openapi())
        .service(ops::healthz)
        .service(ops::readyz)
        .service(public::public_page)
        .service(public::submit_lead)
        .service(confirm::confirmation_page)
        .service(confirm::confirm_sign_up)
        .service(tracking::follow_link)
        .service(tracking::unsubscribe_page)
        .service(tracking::unsubscribe)
        .service(provider_events::receive_provider_events)
        .service(
            scope::scope("/api/marketing")
                .service(campaigns::create_campaign)
                .service(campaigns::list_campaigns)
                .service(campaigns::get_campaign)
                .service(campaigns::patch_campaign)
                .service(campaigns::delete_campaign)
                .service(campaigns::change_status)
                .service(results::predict)
                .service(results::record_results)
                .service(results::list_results)
                .service(assets::generate_assets)
                .service(assets::list_campaign_assets)
                .service(assets::get_asset)
                .service(assets::get_asset_file)
                .service(assets::list_asset_versions)
                .service(assets::list_leads)
                .service(brand::get_brand)
                .service(brand::put_brand)
                .service(brand::put_logo)
                .service(brand::get_logo)
                .service(brand::delete_logo)
                .service(contacts::upsert_contacts)
                .service(contacts::list_contacts)
                .service(contacts::get_contact)
                .service(contacts::export_contact)
                .service(contacts::patch_contact)
                .service(contacts::delete_contact)
                .service(contacts::create_segment)
                .service(contacts::list_segments)
                .service(contacts::get_segment)
                .service(execution::list_jobs)
                .service(execution::retry_job)
                .service(execution::create_connector)
                .service(execution::list_connectors)
                .service(execution::delete_connector)
                .service(execution::record_conversion)
                .service(execution::list_deliveries)
                .service(campaigns::campaign_readiness)
                .service(execution::sending_status)
                .service(execution::resume_sending)
                .service(execution::get_sending_domain)
                .service(execution::put_sending_domain)
                .service(optimisation::record_outcomes)
                .service(optimisation::campaign_lift)
                .service(optimisation::campaign_experiments)
                .service(optimisation::train_targeting)
                .service(optimisation::targeting_model)
                .service(optimisation::score_audience),
        )
        .service(
            scope::scope("/api/org")
                .service(keys::create_key)
                .service(keys::list_keys)
                .service(keys::revoke_key)
                .service(keys::rotate_key)
                .service(keys::audit_log),
        )
}

/// The OpenAPI document of the API.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    crate::openapi::complete(register(App::new().into_utoipa_app()).split_for_parts().1)
}

/// Prometheus metrics (request counts and latency histograms by route pattern and status),
/// served at `/metrics`. Create once per process and pass to every [`build_app`].
pub fn metrics() -> Result<PrometheusMetrics, String> {
    PrometheusMetricsBuilder::new("ame")
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| e.to_string())
}

/// The documented paths with their methods, for 405 answers.
#[derive(Debug)]
struct MethodTable(Vec<(ResourceDef, Vec<&'static str>)>);

impl MethodTable {
    fn from_doc(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut routes: Vec<(ResourceDef, Vec<&'static str>)> = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        routes.push((ResourceDef::new(OPENAPI_PATH), vec!["GET"]));
        routes.push((ResourceDef::new("/metrics"), vec!["GET"]));
        Self(routes)
    }

    fn allowed(&self, path: &str) -> Option<&[&'static str]> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

async fn fallback(req: HttpRequest, table: web::Data<Arc<MethodTable>>) -> HttpResponse {
    use actix_web::ResponseError;
    match table.allowed(req.path()) {
        Some(methods) => Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            format!(
                "{} is not supported on {}; use {}",
                req.method(),
                req.path(),
                methods.join(", ")
            ),
        )
        .with_allowed(methods.iter().copied())
        .with_header(header::ALLOW, methods.join(", "))
        .error_response(),
        None => Problem::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NoRoute,
            format!("nothing is served at {}; see {OPENAPI_PATH}", req.path()),
        )
        .error_response(),
    }
}

fn request_id_of(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

async fn trace_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = request_id_of(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    let mut response =
        ame_app::in_request(request_id.clone(), next.call(req).instrument(span.clone())).await?;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, elapsed_ms, "request failed");
        } else {
            tracing::info!(status, elapsed_ms, "request handled");
        }
    });
    Ok(response)
}

/// Lets only requests bearing the configured token reach `/metrics` (off without one).
async fn guard_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    use actix_web::ResponseError;
    if req.path() != "/metrics" {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let token = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.metrics_token.clone());
    let Some(token) = token else {
        let problem = Problem::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NoRoute,
            "metrics are off; start the server with AME_METRICS_TOKEN to serve them",
        );
        return Ok(req
            .into_response(problem.error_response())
            .map_into_right_body());
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Digests compared, so the time taken says nothing about how much of the token matched.
    use sha2::{Digest, Sha256};
    if Sha256::digest(presented.as_bytes()) != Sha256::digest(token.as_bytes()) {
        let problem = Problem::unauthorized("send `Authorization: Bearer <metrics token>`");
        return Ok(req
            .into_response(problem.error_response())
            .map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The whole application for one worker.
pub fn build_app(
    state: AppState,
    metrics: PrometheusMetrics,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let (app, doc) = register(App::new().into_utoipa_app()).split_for_parts();
    let doc = crate::openapi::complete(doc);
    let table = Arc::new(MethodTable::from_doc(&doc));
    let engine = web::Data::new(state.engine.clone());
    app.app_data(web::Data::new(state))
        .app_data(engine)
        .app_data(web::Data::new(table))
        .configure(ame_web::configure)
        .service(web::redirect("/", "/app/campaigns").see_other())
        .service(SwaggerUi::new("/docs/{_:.*}").url(OPENAPI_PATH, doc))
        .service(web::redirect("/docs", DOCS_PATH))
        .default_service(web::to(fallback))
        .wrap(from_fn(trace_request))
        .wrap(metrics)
        .wrap(from_fn(guard_metrics))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed `docs/openapi.json` is what the code generates (`cargo xtask openapi`
    /// regenerates it).
    #[test]
    fn committed_document_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let generated = api_doc().to_pretty_json().unwrap();
        assert!(
            committed.trim_end() == generated.trim_end(),
            "docs/openapi.json is out of date: run `cargo xtask openapi`"
        );
    }

    #[test]
    fn every_api_operation_is_secured_and_describes_its_errors() {
        let doc = serde_json::to_value(api_doc()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let responses = operation["responses"].as_object().unwrap();
                if path.starts_with("/api/") {
                    assert!(operation["security"].is_array(), "{method} {path}");
                    for status in ["400", "401", "403", "500"] {
                        let content = &responses[status]["content"]["application/problem+json"];
                        assert!(content.is_object(), "{method} {path} {status}");
                    }
                }
                assert!(
                    responses
                        .keys()
                        .any(|s| s.starts_with('2') || s.starts_with('3') || s == "501"),
                    "{method} {path}"
                );
            }
        }
    }
}
