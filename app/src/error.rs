//! The one error type of server functions: what the browser may learn.

use domain::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    /// An initial or reset password: change it before anything else.
    #[error("password_change")]
    PasswordChange,
    #[error("not_found")]
    NotFound,
    /// Field-level problems; nothing was saved.
    #[error("invalid")]
    Invalid(Vec<FieldError>),
    /// The state machine refused; the message names the case's state.
    #[error("{0}")]
    Refused(String),
    #[error("conflict")]
    Conflict,
    /// Wrong tracking code or second factor (never says which).
    #[error("lookup_failed")]
    LookupFailed,
    /// Too many attempts; try again after this many seconds.
    #[error("rate_limited")]
    RateLimited(u64),
    /// Too many wrong phone digits on one tracking code, from anywhere: the
    /// receipt's PIN still opens it.
    #[error("phone_locked")]
    PhoneLocked,
    /// Too many wrong answers of every kind on one tracking code: only the
    /// station can help until the lockout ends.
    #[error("code_locked")]
    CodeLocked,
    /// An online request that looks automated (honeypot filled, sent too fast).
    #[error("refused")]
    Spam,
    /// The database takes no writes right now (read-only, or out of
    /// space): nothing was saved, and trying again later works.
    #[error("unavailable")]
    Unavailable,
    /// Details are in the server log, never in the response.
    #[error("server")]
    Server,
    #[error("{0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                // A request the server function cannot even read is the
                // caller's fault: 400, not the framework's default 500.
                #[cfg(feature = "ssr")]
                if let Some(resp) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                    resp.set_status(http::StatusCode::BAD_REQUEST);
                }
                Self::Invalid(vec![FieldError::new("form", &m)])
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

impl AppError {
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == name)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::Unauthorized => S::UNAUTHORIZED,
            Self::Forbidden | Self::PasswordChange => S::FORBIDDEN,
            Self::NotFound => S::NOT_FOUND,
            Self::Invalid(_) | Self::LookupFailed => S::BAD_REQUEST,
            Self::Refused(_) | Self::Conflict => S::CONFLICT,
            Self::RateLimited(_) | Self::PhoneLocked | Self::CodeLocked => S::TOO_MANY_REQUESTS,
            Self::Spam => S::UNPROCESSABLE_ENTITY,
            Self::Unavailable => S::SERVICE_UNAVAILABLE,
            Self::Server | Self::Transport(_) => S::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An endpoint outside server functions (an export, the live stream, a
/// calendar feed) answers an error with its status and its name as the
/// reason.
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        (self.status(), self.to_string()).into_response()
    }
}

#[cfg(feature = "ssr")]
impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        use domain::TransitionError as T;
        use store::StoreError as E;
        match e {
            E::NotFound => Self::NotFound,
            E::Forbidden => Self::Forbidden,
            E::Invalid(errors) => Self::Invalid(errors),
            E::Conflict => Self::Conflict,
            E::Transition(T::Invalid { field, message }) => {
                Self::Invalid(vec![FieldError::new(field, &message)])
            }
            E::Transition(T::NotAllowed { .. }) => Self::Forbidden,
            E::Transition(t @ T::Illegal { .. }) => Self::Refused(t.to_string()),
            E::Db(err) if store::db::cannot_write(&err) => {
                tracing::error!(error = %err, "the database takes no writes");
                Self::Unavailable
            }
            E::Db(err) if store::db::unreachable(&err) => {
                tracing::error!(error = %err, "the database cannot be reached");
                Self::Unavailable
            }
            E::Db(err) => {
                tracing::error!(error = %err, "database error");
                Self::Server
            }
            E::Migrate(err) => {
                tracing::error!(error = %err, "migration error");
                Self::Server
            }
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use domain::TransitionError as T;
    use store::StoreError as E;

    #[test]
    fn store_errors_become_4xx_with_a_reason_and_5xx_without_details() {
        let cases = [
            (E::NotFound, http::StatusCode::NOT_FOUND),
            (E::Forbidden, http::StatusCode::FORBIDDEN),
            (E::Conflict, http::StatusCode::CONFLICT),
            (
                E::invalid("title", "required"),
                http::StatusCode::BAD_REQUEST,
            ),
            (
                E::Transition(T::Illegal {
                    from: "closed",
                    action: "assign",
                }),
                http::StatusCode::CONFLICT,
            ),
            (
                E::Transition(T::NotAllowed {
                    from: "awaiting_ack",
                    action: "acknowledge",
                }),
                http::StatusCode::FORBIDDEN,
            ),
            (
                E::Db(sqlx::Error::PoolClosed),
                http::StatusCode::INTERNAL_SERVER_ERROR,
            ),
            // An outage is not the server's fault: try again (and a load
            // balancer may send the retry to another instance).
            (
                E::Db(sqlx::Error::PoolTimedOut),
                http::StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                E::Db(sqlx::Error::Io(
                    std::io::ErrorKind::ConnectionRefused.into(),
                )),
                http::StatusCode::SERVICE_UNAVAILABLE,
            ),
        ];
        for (store_error, status) in cases {
            let e = AppError::from(store_error);
            assert_eq!(e.status(), status, "{e:?}");
        }
        let refused = AppError::from(E::Transition(T::Illegal {
            from: "closed",
            action: "assign",
        }));
        assert!(refused.to_string().contains("closed"));
        assert_eq!(
            AppError::from(E::Db(sqlx::Error::PoolClosed)),
            AppError::Server
        );
    }

    #[test]
    fn field_errors_are_found_by_field() {
        let e = AppError::from(E::Transition(T::Invalid {
            field: "reason",
            message: "required".into(),
        }));
        assert_eq!(e.field("reason").as_deref(), Some("required"));
        assert_eq!(e.field("title"), None);
    }
}
