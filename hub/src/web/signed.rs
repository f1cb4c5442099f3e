//! Who is asking, as handler arguments: [`Signed`] is the logged-in account allowed in a
//! part of the dashboard; [`SignedForm`] is that plus a form carrying this session's
//! token. A request that fails either never reaches the handler: it gets the log-in page,
//! "not for your account", or "form out of date". The part is a type ([`Place`]), so a
//! handler's signature says who may call it.

use super::{Me, Web};
use crate::domain::accounts::Area;
use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// A part of the dashboard, as a type.
pub(crate) trait Place: Send + Sync {
    /// The area it stands for.
    const AREA: Area;
}

macro_rules! places {
    ($($(#[$doc:meta])* $name:ident => $area:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub(crate) struct $name;
        impl Place for $name {
            const AREA: Area = Area::$area;
        }
    )*};
}

places!(
    /// The start page: every account.
    HomePage => Home,
    /// Tablets.
    Devices => Devices,
    /// Participants, coaches, contacts, messages to them.
    People => People,
    /// Groups, meetings, attendance.
    Programme => Programme,
    /// The follow-up list.
    FollowUp => FollowUp,
    /// The diary.
    Diary => Diary,
    /// Figures.
    Reports => Reports,
    /// Accounts.
    Accounts => Accounts,
    /// The audit log.
    Audit => Audit,
    /// The hub's health.
    Status => Status,
);

/// The logged-in account, allowed in `P`.
pub(crate) struct Signed<P>(pub Me, pub PhantomData<P>);

impl<P: Place> FromRequestParts<Web> for Signed<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Response> {
        // A page opened by a link (a tablet's QR code) is where the log-in leads.
        let wanted = (parts.method == axum::http::Method::GET)
            .then(|| parts.uri.path_and_query().map(|p| p.as_str()))
            .flatten();
        web.require(&parts.headers, wanted, P::AREA)
            .map(|me| Signed(me, PhantomData))
            .map_err(|refused| *refused)
    }
}

/// A form with the session's token in a field of its own.
pub(crate) trait TokenForm {
    /// The token it came with.
    fn token(&self) -> &str;
}

/// Implements [`TokenForm`] for forms whose token field is `csrf`.
macro_rules! token_forms {
    ($($form:ty),* $(,)?) => {$(
        impl $crate::web::signed::TokenForm for $form {
            fn token(&self) -> &str {
                &self.csrf
            }
        }
    )*};
}
pub(crate) use token_forms;

/// The logged-in account, allowed in `P`, and its form `F`, whose token is this
/// session's. The account is checked before the body is read.
pub(crate) struct SignedForm<P, F>(pub Me, pub F, pub PhantomData<P>);

impl<P: Place, F: DeserializeOwned + TokenForm + Send> FromRequest<Web> for SignedForm<P, F> {
    type Rejection = Response;

    async fn from_request(request: Request, web: &Web) -> Result<Self, Response> {
        let me = web
            .require(request.headers(), None, P::AREA)
            .map_err(|refused| *refused)?;
        let Form(form) = Form::<F>::from_request(request, web)
            .await
            .map_err(IntoResponse::into_response)?;
        super::check_token(&me, form.token()).map_err(|refused| *refused)?;
        Ok(SignedForm(me, form, PhantomData))
    }
}
