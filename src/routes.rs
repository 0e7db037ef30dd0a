//! The one place every URL, guard and middleware is listed.

use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
use actix_session::SessionMiddleware;
use actix_web::body::MessageBody;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, Error};

use crate::auth::session_store::DbSessionStore;
use crate::handlers::{
    api, api_keys, apps, auth, developers, health, invitations, oauth, settings, team,
};
use crate::middleware;
use crate::startup::AppState;
use crate::static_files;

pub fn app(
    state: web::Data<AppState>,
    session_key: Key,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let session_settings = &state.settings.session;
    let store = DbSessionStore::new(state.pool.clone(), state.clock.clone(), session_settings);
    let idle = actix_web::cookie::time::Duration::seconds(
        i64::try_from(session_settings.idle_timeout.as_secs()).unwrap_or(i64::MAX / 2),
    );
    let sessions = SessionMiddleware::builder(store, session_key)
        .cookie_name(session_settings.cookie_name().to_owned())
        .cookie_secure(!session_settings.insecure_cookies)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".to_owned())
        .cookie_domain(None)
        .cookie_content_security(CookieContentSecurity::Signed)
        .session_lifecycle(
            BrowserSession::default()
                .state_ttl(idle)
                .state_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
        )
        .build();

    App::new()
        .app_data(state)
        .app_data(web::FormConfig::default().limit(64 * 1024))
        // Innermost first: the last `wrap` sees the request first.
        .wrap(from_fn(middleware::same_origin))
        .wrap(from_fn(middleware::security_headers))
        .wrap(from_fn(middleware::request_log))
        .route("/healthz", web::get().to(health::healthz))
        // OAuth endpoints that apps' servers call: client authentication, no session, no CSRF.
        .route("/oauth/token", web::post().to(oauth::token))
        .route("/oauth/revoke", web::post().to(oauth::revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            web::get().to(oauth::metadata),
        )
        .route("/static/{file:.*}", web::get().to(static_files::serve))
        // The JSON API: Bearer keys only, no session, never cached.
        .service(
            web::scope("/api/v1")
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
                .route("/ping", web::get().to(api::ping))
                .route("/openapi.json", web::get().to(api::openapi))
                .route("/key", web::get().to(api::key))
                .route("/contacts", web::get().to(api::list_contacts))
                .route("/contacts", web::post().to(api::create_contact))
                .route("/contacts/{id}", web::get().to(api::get_contact))
                .route("/contacts/{id}", web::patch().to(api::update_contact))
                .route("/contacts/{id}", web::delete().to(api::delete_contact))
                .default_service(web::to(api::not_found)),
        )
        // The console: server-side sessions, htmx-aware errors.
        .service(
            web::scope("")
                .wrap(from_fn(middleware::htmx_errors))
                .wrap(sessions)
                .route("/", web::get().to(settings::index))
                .route("/login", web::get().to(auth::login_form))
                .route("/login", web::post().to(auth::login))
                .route("/logout", web::post().to(auth::logout))
                .route("/setup", web::get().to(auth::setup_form))
                .route("/setup", web::post().to(auth::setup))
                .route(
                    "/developers/quickstart",
                    web::get().to(developers::quickstart),
                )
                .route("/settings", web::get().to(settings::index))
                .route("/settings/profile", web::get().to(settings::profile))
                .route(
                    "/settings/profile",
                    web::post().to(settings::update_profile),
                )
                .route(
                    "/settings/profile/password",
                    web::post().to(settings::change_password),
                )
                .route("/settings/api-keys", web::get().to(api_keys::list))
                .route("/settings/api-keys", web::post().to(api_keys::create))
                .route("/settings/api-keys/new", web::get().to(api_keys::new_form))
                .route("/settings/api-keys/{key}", web::get().to(api_keys::detail))
                .route("/settings/api-keys/{key}", web::post().to(api_keys::update))
                .route(
                    "/settings/api-keys/{key}/edit",
                    web::get().to(api_keys::edit_form),
                )
                .route(
                    "/settings/api-keys/{key}/rotate",
                    web::get().to(api_keys::rotate_form),
                )
                .route(
                    "/settings/api-keys/{key}/rotate",
                    web::post().to(api_keys::rotate),
                )
                .route(
                    "/settings/api-keys/{key}/revoke",
                    web::get().to(api_keys::revoke_form),
                )
                .route(
                    "/settings/api-keys/{key}/revoke",
                    web::post().to(api_keys::revoke),
                )
                .route("/settings/team-members", web::get().to(team::list))
                .route(
                    "/settings/team-members/invitations",
                    web::post().to(team::invite),
                )
                .route(
                    "/settings/team-members/invitations/{id}/cancel",
                    web::post().to(team::cancel_invitation),
                )
                .route(
                    "/settings/team-members/invitations/{id}/reissue",
                    web::post().to(team::reissue_invitation),
                )
                .route(
                    "/settings/team-members/{workspace}/{user}",
                    web::get().to(team::member),
                )
                .route(
                    "/settings/team-members/{workspace}/{user}/access",
                    web::post().to(team::change_access),
                )
                .route(
                    "/settings/team-members/{workspace}/{user}/remove",
                    web::post().to(team::remove),
                )
                .route(
                    "/settings/team-members/{workspace}/{user}/offboarding",
                    web::get().to(team::offboarding),
                )
                .route(
                    "/settings/team-members/{workspace}/{user}/offboarding/revoke-all",
                    web::post().to(team::offboarding_revoke_all),
                )
                .route(
                    "/settings/team-members/{workspace}/{user}/offboarding/transfer",
                    web::post().to(team::offboarding_transfer),
                )
                .route(
                    "/settings/people/{user}/{action}",
                    web::post().to(team::set_disabled),
                )
                .route("/settings/activity", web::get().to(team::activity))
                .route("/invitations/{token}", web::get().to(invitations::show))
                .route("/invitations/{token}", web::post().to(invitations::accept))
                .route("/settings/authorized-apps", web::get().to(apps::list))
                .route(
                    "/settings/authorized-apps/clients",
                    web::post().to(apps::register),
                )
                .route(
                    "/settings/authorized-apps/clients/{client}/rotate-secret",
                    web::post().to(apps::rotate_secret),
                )
                .route(
                    "/settings/authorized-apps/{grant}/revoke",
                    web::post().to(apps::revoke),
                )
                .route("/oauth/authorize", web::get().to(oauth::authorize))
                .route("/oauth/authorize", web::post().to(oauth::consent))
                .route(
                    "/settings/workspaces",
                    web::get().to(settings::list_workspaces),
                )
                .route(
                    "/settings/workspaces",
                    web::post().to(settings::create_workspace),
                )
                .route(
                    "/settings/workspaces/{workspace}/rename",
                    web::post().to(settings::rename_workspace),
                )
                .default_service(web::to(not_found)),
        )
}

async fn not_found() -> Result<actix_web::HttpResponse, crate::error::AppError> {
    Err(crate::error::AppError::NotFound)
}
