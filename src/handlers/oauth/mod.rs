//! OAuth 2.0 authorization server endpoints: the consent page (people, with a session) and the
//! token, revocation and metadata endpoints (apps' servers, with client authentication).

pub mod authorize;
pub mod token;
