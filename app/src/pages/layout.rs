//! Header, footer and small shared pieces.

use crate::api::{Logout, current_user};
use crate::error::AppError;
use crate::i18n::*;
use crate::labels;
use domain::CheckpointStatus;
use domain::view::{CheckpointView, ToDo, UserInfo};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

pub use crate::labels::fmt_time;

/// The signed-in user as read for the page being shown: one request (and
/// one count of their to-do) shared by the header and the page.
#[derive(Clone, Copy)]
pub struct SignedIn(pub Resource<Result<Option<UserInfo>, AppError>>);

/// Reads the signed-in user for everything inside, again on navigation so
/// signing in or out shows at once.
#[component]
pub fn WithUser(children: Children) -> impl IntoView {
    let location = use_location();
    let user = Resource::new(move || location.pathname.get(), |_| current_user());
    provide_context(SignedIn(user));
    children()
}

#[component]
pub fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let location = use_location();
    let user = expect_context::<SignedIn>().0;
    // The to-do count as the live stream last gave it; each page's own
    // reading of the user (above) is the count until the stream speaks.
    let live_to_do = RwSignal::new(None::<ToDo>);
    #[cfg(feature = "hydrate")]
    follow_to_do(user, live_to_do);
    let logout = ServerAction::<Logout>::new();
    let other = move || {
        if i18n.get_locale() == Locale::zh {
            Locale::en
        } else {
            Locale::zh
        }
    };
    let switch = move || {
        let back = format!("{}{}", location.pathname.get(), location.search.get());
        format!("/lang/{}?back={}", other(), domain::encode_query(&back))
    };
    let toggle = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        i18n.set_locale(other());
    };
    view! {
        <header class="top">
            <A href="/" attr:class="brand">{t!(i18n, brand)}</A>
            <nav>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(Some(u)) => {
                                use domain::Permission as P;
                                let role = u.role;
                                let may = move |p| domain::permission::allows(role, p);
                                let handler = role == domain::Role::Handler;
                                let member = role == domain::Role::Member;
                                let must_change = u.must_change_password;
                                view! {
                                    <Show when=move || !must_change && member>
                                        <A href="/service">{t!(i18n, nav.service)}</A>
                                        <A href="/wall">{t!(i18n, nav.wall)}</A>
                                    </Show>
                                    <Show when=move || !must_change && !member>
                                        <A href="/board">{t!(i18n, nav.board)}</A>
                                        <A href="/cases">{t!(i18n, nav.cases)}</A>
                                        <Show when=move || may(P::RegisterCase)>
                                            <A href="/intake">{t!(i18n, nav.intake)}</A>
                                        </Show>
                                        <Show when=move || handler>
                                            <A href="/inbox">{t!(i18n, nav.inbox)}</A>
                                        </Show>
                                        <Show when=move || may(P::CallBack)>
                                            <A href="/callbacks">{t!(i18n, nav.callbacks)}</A>
                                        </Show>
                                        <A href="/grid">{t!(i18n, nav.grid)}</A>
                                        <Show when=move || role == domain::Role::GridWorker>
                                            <A href="/grid/mine">{t!(i18n, nav.my_grid)}</A>
                                        </Show>
                                        <Show when=move || may(P::ManageWishes)>
                                            <A href="/wishes">{t!(i18n, nav.wishes)}</A>
                                        </Show>
                                        <Show when=move || may(P::ManageParty)>
                                            <A href="/party">{t!(i18n, nav.party)}</A>
                                        </Show>
                                        <A href="/stations">{t!(i18n, nav.stations)}</A>
                                        <A href="/ledger">{t!(i18n, nav.ledger)}</A>
                                        <A href="/items">{t!(i18n, nav.items)}</A>
                                        <A href="/figures">{t!(i18n, nav.figures)}</A>
                                        <A href="/ranking">{t!(i18n, nav.ranking)}</A>
                                        <Show when=move || may(P::ViewAudit)>
                                            <A href="/audit">{t!(i18n, nav.audit)}</A>
                                        </Show>
                                        <Show when=move || may(P::ManageRegions)>
                                            <A href="/admin/regions">{t!(i18n, nav.regions)}</A>
                                        </Show>
                                        <Show when=move || may(P::ManageUsers)>
                                            <A href="/admin/users">{t!(i18n, nav.users)}</A>
                                        </Show>
                                        <Show when=move || may(P::ManageApiKeys)>
                                            <A href="/admin/api-keys">{t!(i18n, nav.api_keys)}</A>
                                        </Show>
                                    </Show>
                                    {u.to_do.map(|first| {
                                        let now = move || live_to_do.get().unwrap_or(first);
                                        view! {
                                            <A href="/" attr:class="to-do" attr:data-testid="to-do"
                                                attr:data-total=move || now().total
                                                attr:data-overdue=move || now().overdue>
                                                {t!(i18n, nav.to_do)} " " <b>{move || now().total}</b>
                                                <Show when=move || { now().overdue > 0 }>
                                                    " · " <b class="overdue">{move || now().overdue}</b> " " {t!(i18n, nav.to_do_overdue)}
                                                </Show>
                                            </A>
                                        }
                                    })}
                                    <A href="/account" attr:class="who" attr:data-testid="who" attr:title=move || t_string!(i18n, nav.account)>
                                        {u.display_name.clone()} " · "
                                        {move || labels::role(i18n.get_locale(), role)}
                                    </A>
                                    <ActionForm action=logout attr:class="inline">
                                        <button type="submit" class="link">{t!(i18n, nav.logout)}</button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            _ => {
                                view! {
                                    <A href="/track">{t!(i18n, nav.track)}</A>
                                    <A href="/report">{t!(i18n, nav.report)}</A>
                                    <A href="/stats">{t!(i18n, nav.stats)}</A>
                                    <A href="/wall">{t!(i18n, nav.wall)}</A>
                                    <A href="/party/register">{t!(i18n, nav.party_register)}</A>
                                    <A href="/login">{t!(i18n, nav.login)}</A>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Transition>
                // A link, so a page sent without the app switches too: the
                // server sets the language cookie and sends the reader back.
                <a class="link lang" href=switch on:click=toggle>{t!(i18n, nav.language)}</a>
            </nav>
        </header>
    }
}

/// Follows `/api/to-do/events` while a signed-in user with a to-do is on
/// the page: one stream for the whole visit, opened at sign-in and closed at
/// sign-out, not one per page. Each page's reading of the user resets the
/// count, so a page never shows an older figure than its own.
#[cfg(feature = "hydrate")]
fn follow_to_do(user: Resource<Result<Option<UserInfo>, AppError>>, live: RwSignal<Option<ToDo>>) {
    use send_wrapper::SendWrapper;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, MessageEvent};

    type Open = (EventSource, Closure<dyn FnMut(MessageEvent)>);
    let stream: Rc<RefCell<Option<Open>>> = Rc::default();
    fn close(stream: &RefCell<Option<Open>>) {
        if let Some((source, _)) = stream.borrow_mut().take() {
            source.close();
        }
    }
    let open = stream.clone();
    Effect::new(move |_| {
        let signed_in = user.get().and_then(Result::ok).flatten();
        let counted = signed_in.as_ref().and_then(|u| u.to_do);
        live.set(counted);
        if counted.is_none() {
            close(&open);
            return;
        }
        if open.borrow().is_some() {
            return;
        }
        // The browser reconnects by itself after a dropped connection.
        let Ok(source) = EventSource::new("/api/to-do/events") else {
            return;
        };
        let on_count = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(count) = e
                .data()
                .as_string()
                .and_then(|d| serde_json::from_str::<ToDo>(&d).ok())
            {
                live.set(Some(count));
            }
        });
        let _ = source.add_event_listener_with_callback("to_do", on_count.as_ref().unchecked_ref());
        *open.borrow_mut() = Some((source, on_count));
    });
    let stream = SendWrapper::new(stream);
    on_cleanup(move || close(&stream));
}

#[component]
pub fn Footer() -> impl IntoView {
    let i18n = use_i18n();
    view! { <footer>{t!(i18n, footer)}</footer> }
}

/// A coloured deadline badge.
#[component]
pub fn DeadlineBadge(deadline: Option<CheckpointView>) -> impl IntoView {
    let i18n = use_i18n();
    deadline.map(|d| {
        let class = match d.status {
            CheckpointStatus::Overdue | CheckpointStatus::Late => "badge red",
            CheckpointStatus::DueSoon => "badge yellow",
            CheckpointStatus::OnTrack => "badge blue",
            CheckpointStatus::Met => "badge green",
        };
        let status = d.status;
        view! {
            <span class=class data-deadline=status.as_str()>
                {move || labels::deadline(i18n.get_locale(), status)}
                " "
                {fmt_time(d.due)}
            </span>
        }
    })
}

/// An error from a server function, in words.
#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="error" role="alert">{move || labels::error(i18n.get_locale(), &error)}</p> }
}

/// The error of an action's last submission, if any.
pub fn last_error<T: Clone + Send + Sync + 'static>(
    value: impl Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
) -> Signal<Option<AppError>> {
    Signal::derive(move || value.get().and_then(|r| r.err()))
}

/// The message under a form field, if the last submission had one for it.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        error
            .get()
            .and_then(|e| e.field(field))
            .map(|m| view! { <span class="field-error" role="alert">{labels::message(i18n.get_locale(), &m)}</span> })
    }
}
