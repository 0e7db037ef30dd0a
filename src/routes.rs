//! The one place every URL, guard and middleware is listed.

use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
use actix_session::SessionMiddleware;
use actix_web::body::MessageBody;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{guard, web, App, Error, FromRequest, Handler, HttpResponse, Resource, Responder};

use crate::api::error::ApiError;
use crate::api::v1;
use crate::app::AppState;
use crate::handlers::{
    api_keys, apps, auth, developers, health, invitations, oauth, settings, team,
};
use crate::web::error::AppError;
use crate::web::session_store::DbSessionStore;
use crate::web::{middleware, static_files};

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
        // Innermost first: the last `wrap` sees the request first. `Compress` skips responses
        // that carry a one-time secret (see `views::no_store`).
        .wrap(Compress::default())
        .wrap(from_fn(middleware::same_origin))
        .wrap(from_fn(middleware::security_headers))
        .wrap(from_fn(middleware::request_log))
        .service(at("/healthz").get(health::healthz).page())
        .service(at("/favicon.ico").get(static_files::favicon).page())
        // OAuth endpoints that apps' servers call: client authentication, no session, no CSRF.
        .service(at("/oauth/token").post(oauth::token::token).json())
        .service(at("/oauth/revoke").post(oauth::token::revoke).json())
        .service(
            at("/.well-known/oauth-authorization-server")
                .get(oauth::token::metadata)
                .json(),
        )
        // The JSON API: Bearer keys only, no session, never cached. Before `/static/{file:.*}`,
        // whose pattern is a regular expression: an API call is routed without running it.
        .service(
            web::scope("/api/v1")
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
                .wrap(from_fn(middleware::rate_limit_headers))
                .service(at("/ping").get(v1::ping).json())
                .service(at("/openapi.json").get(v1::openapi).json())
                .service(at("/key").get(v1::key::key).json())
                .service(
                    at("/keys")
                        .get(v1::keys::list)
                        .post(v1::keys::create)
                        .json(),
                )
                .service(
                    at("/keys/{id}")
                        .get(v1::keys::get)
                        .patch(v1::keys::update)
                        .json(),
                )
                .service(at("/keys/{id}/rotate").post(v1::keys::rotate).json())
                .service(at("/keys/{id}/revoke").post(v1::keys::revoke).json())
                .service(
                    at("/secret-scanning/verify")
                        .post(v1::secret_scanning::verify)
                        .json(),
                )
                .service(
                    at("/contacts")
                        .get(v1::contacts::list)
                        .post(v1::contacts::create)
                        .json(),
                )
                .service(
                    at("/contacts/{id}")
                        .get(v1::contacts::get)
                        .patch(v1::contacts::update)
                        .delete(v1::contacts::delete)
                        .json(),
                )
                .default_service(web::to(v1::not_found)),
        )
        .service(at("/static/{file:.*}").get(static_files::serve).page())
        // The console: server-side sessions, htmx-aware errors.
        .service(
            web::scope("")
                .wrap(from_fn(middleware::htmx_errors))
                .wrap(sessions)
                .service(at("/").get(settings::index).page())
                .service(
                    at("/login")
                        .get(auth::login::login_form)
                        .post(auth::login::login)
                        .page(),
                )
                .service(at("/logout").post(auth::login::logout).page())
                .service(
                    at("/setup")
                        .get(auth::setup::setup_form)
                        .post(auth::setup::setup)
                        .page(),
                )
                .service(
                    at("/developers/quickstart")
                        .get(developers::quickstart)
                        .page(),
                )
                .service(at("/settings").get(settings::index).page())
                .service(
                    at("/settings/profile")
                        .get(settings::profile::profile)
                        .post(settings::profile::update_profile)
                        .page(),
                )
                .service(
                    at("/settings/profile/password")
                        .post(settings::profile::change_password)
                        .page(),
                )
                .service(
                    at("/settings/api-keys")
                        .get(api_keys::list::list)
                        .post(api_keys::generate::create)
                        .page(),
                )
                .service(
                    at("/settings/api-keys.csv")
                        .get(api_keys::export::export)
                        .page(),
                )
                .service(
                    at("/settings/api-keys/new")
                        .get(api_keys::generate::new_form)
                        .page(),
                )
                .service(
                    at("/settings/api-keys/{key}")
                        .get(api_keys::detail::detail)
                        .post(api_keys::edit::update)
                        .page(),
                )
                .service(
                    at("/settings/api-keys/{key}/edit")
                        .get(api_keys::edit::edit_form)
                        .page(),
                )
                .service(
                    at("/settings/api-keys/{key}/rotate")
                        .get(api_keys::rotate::rotate_form)
                        .post(api_keys::rotate::rotate)
                        .page(),
                )
                .service(
                    at("/settings/api-keys/{key}/retire-old-secret")
                        .post(api_keys::rotate::retire_old_secret)
                        .page(),
                )
                .service(
                    at("/settings/api-keys/{key}/revoke")
                        .get(api_keys::revoke::revoke_form)
                        .post(api_keys::revoke::revoke)
                        .page(),
                )
                .service(at("/settings/team-members").get(team::list::list).page())
                .service(
                    at("/settings/team-members/invitations")
                        .post(team::invite::invite)
                        .page(),
                )
                .service(
                    at("/settings/team-members/invitations/{id}/cancel")
                        .post(team::invite::cancel)
                        .page(),
                )
                .service(
                    at("/settings/team-members/invitations/{id}/reissue")
                        .post(team::invite::reissue)
                        .page(),
                )
                .service(
                    at("/settings/team-members/{workspace}/{user}")
                        .get(team::member::member)
                        .page(),
                )
                .service(
                    at("/settings/team-members/{workspace}/{user}/access")
                        .post(team::member::change_access)
                        .page(),
                )
                .service(
                    at("/settings/team-members/{workspace}/{user}/remove")
                        .post(team::member::remove)
                        .page(),
                )
                .service(
                    at("/settings/team-members/{workspace}/{user}/offboarding")
                        .get(team::offboarding::review)
                        .page(),
                )
                .service(
                    at("/settings/team-members/{workspace}/{user}/offboarding/revoke-all")
                        .post(team::offboarding::revoke_all)
                        .page(),
                )
                .service(
                    at("/settings/team-members/{workspace}/{user}/offboarding/transfer")
                        .post(team::offboarding::transfer)
                        .page(),
                )
                .service(
                    at("/settings/people/{user}/{action}")
                        .post(team::people::set_disabled)
                        .page(),
                )
                .service(
                    at("/settings/activity")
                        .get(team::activity::activity)
                        .page(),
                )
                .service(
                    at("/settings/activity.csv")
                        .get(team::activity::export)
                        .page(),
                )
                .service(
                    at("/invitations/{token}")
                        .get(invitations::show)
                        .post(invitations::accept)
                        .page(),
                )
                .service(at("/settings/authorized-apps").get(apps::list::list).page())
                .service(
                    at("/settings/authorized-apps/clients")
                        .post(apps::register::register)
                        .page(),
                )
                .service(
                    at("/settings/authorized-apps/clients/{client}/rotate-secret")
                        .post(apps::register::rotate_secret)
                        .page(),
                )
                .service(
                    at("/settings/authorized-apps/{grant}/revoke")
                        .post(apps::revoke::revoke)
                        .page(),
                )
                .service(
                    at("/oauth/authorize")
                        .get(oauth::authorize::authorize)
                        .post(oauth::authorize::consent)
                        .page(),
                )
                .service(
                    at("/settings/workspaces")
                        .get(settings::workspaces::list)
                        .post(settings::workspaces::create)
                        .page(),
                )
                .service(
                    at("/settings/workspaces/{workspace}/policies")
                        .get(settings::policies::show)
                        .post(settings::policies::save)
                        .page(),
                )
                .service(
                    at("/settings/workspaces/{workspace}/rename")
                        .post(settings::workspaces::rename)
                        .page(),
                )
                .default_service(web::to(not_found)),
        )
}

/// One URL and the methods it answers. GET also answers HEAD (RFC 9110: the same headers, no
/// body); any other method gets 405 with an `Allow` header, as an error page or a JSON error.
struct Endpoint {
    resource: Resource,
    allow: Vec<&'static str>,
}

fn at(path: &str) -> Endpoint {
    Endpoint {
        resource: web::resource(path),
        allow: Vec::new(),
    }
}

macro_rules! method {
    ($name:ident, $guard:expr, $($allow:literal),+) => {
        fn $name<F, Args>(mut self, handler: F) -> Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.resource = self.resource.route(web::route().guard($guard).to(handler));
            self.allow.extend([$($allow),+]);
            self
        }
    };
}

impl Endpoint {
    method!(
        get,
        guard::Any(guard::Get()).or(guard::Head()),
        "GET",
        "HEAD"
    );
    method!(post, guard::Post(), "POST");
    method!(patch, guard::Patch(), "PATCH");
    method!(delete, guard::Delete(), "DELETE");

    /// 405 as the console's error page.
    fn page(self) -> Resource {
        let allow = self.allow.join(", ");
        self.resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { Err::<HttpResponse, _>(AppError::MethodNotAllowed(allow)) }
        }))
    }

    /// 405 as the API's JSON error.
    fn json(self) -> Resource {
        let allow = self.allow.join(", ");
        self.resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allow)) }
        }))
    }
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
