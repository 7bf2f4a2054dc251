//! Administration of staff accounts: roles, seats, passwords, sessions.

use crate::api::{AccountAction, Accounts, CreateAccount, UpdateAccount, list_accounts};
use crate::i18n::*;
use crate::labels;
use crate::pages::data_table::DataTable;
use crate::pages::layout::{ErrorNote, field_error, fmt_time, last_error};
use domain::Role;
use domain::view::Account;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// The role picker and the three seat pickers; the store keeps the seat the
/// chosen role uses.
#[component]
fn SeatFields(
    options: Accounts,
    error: Signal<Option<crate::error::AppError>>,
    #[prop(optional)] current: Option<Account>,
) -> impl IntoView {
    let i18n = use_i18n();
    let role = current.as_ref().map(|a| a.role);
    let (region, unit, station) = current
        .as_ref()
        .map(|a| (a.region_id, a.unit_id, a.station_id))
        .unwrap_or_default();
    let picker = move |name: &'static str, items: Vec<(i64, String)>, chosen: Option<i64>| {
        view! {
            <select name=name>
                <option value="">{t!(i18n, users.none)}</option>
                {items.into_iter().map(|(id, label)| view! {
                    <option value=id.to_string() selected=chosen == Some(id)>{label}</option>
                }).collect_view()}
            </select>
        }
    };
    let regions = options
        .regions
        .into_iter()
        .map(|r| (r.id, r.label))
        .collect();
    let units = options.units.into_iter().map(|u| (u.id, u.name)).collect();
    let stations = options
        .stations
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    view! {
        <label>
            {t!(i18n, users.role)}
            <select name="role" required>
                {Role::ALL.into_iter().map(|r| view! {
                    <option value=r.as_str() selected=role == Some(r)>
                        {move || labels::role(i18n.get_locale(), r)}
                    </option>
                }).collect_view()}
            </select>
        </label>
        {field_error(error, "role")}
        <label>{t!(i18n, users.region)} {picker("region_id", regions, region)}</label>
        {field_error(error, "region_id")}
        <label>{t!(i18n, users.unit)} {picker("unit_id", units, unit)}</label>
        {field_error(error, "unit_id")}
        <label>{t!(i18n, users.station)} {picker("station_id", stations, station)}</label>
        {field_error(error, "station_id")}
    }
}

#[component]
fn AccountState(account: Account) -> impl IntoView {
    let i18n = use_i18n();
    let state = if account.disabled_at.is_some() {
        "disabled"
    } else if account.must_change_password {
        "must_change"
    } else {
        "active"
    };
    view! {
        <span class=format!("state {state}") data-state=state>
            {move || match state {
                "disabled" => t_string!(i18n, users.disabled),
                "must_change" => t_string!(i18n, users.must_change),
                _ => t_string!(i18n, users.active),
            }}
        </span>
    }
}

/// A password shown once, after a create or a reset.
#[component]
fn OncePassword(label: &'static str, password: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="card new-key" role="status">
            <p>{move || if label == "initial" { t_string!(i18n, users.initial) } else { t_string!(i18n, users.temporary) }}</p>
            <output data-testid="once-password">{password}</output>
        </div>
    }
}

#[component]
pub fn Users() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateAccount>::new();
    let error = last_error(create.value());
    let accounts = Resource::new(move || create.version().get(), |_| list_accounts());
    let created = create.value();
    view! {
        <section class="admin-users">
            <h1>{t!(i18n, users.title)}</h1>
            <p class="hint">{t!(i18n, users.intro)}</p>
            <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(all) => {
                        let listed = all.accounts.clone();
                        view! {
                            <ActionForm action=create attr:class="card" attr:data-testid="create-account">
                                <h2>{t!(i18n, users.create)}</h2>
                                <label>
                                    {t!(i18n, users.username)}
                                    <input type="text" name="username" maxlength="32" autocomplete="off" required />
                                </label>
                                {field_error(error, "username")}
                                <label>
                                    {t!(i18n, users.display_name)}
                                    <input type="text" name="display_name" maxlength="60" required />
                                </label>
                                {field_error(error, "display_name")}
                                <SeatFields options=all.clone() error=error />
                                <button type="submit">{t!(i18n, users.create)}</button>
                            </ActionForm>
                            {move || created.get().and_then(|r| r.ok()).map(|p| view! {
                                <OncePassword label="initial" password=p />
                            })}
                            <DataTable kind="accounts" head=move || view! {
                                <th scope="col">{t!(i18n, users.username)}</th>
                                <th scope="col">{t!(i18n, users.display_name)}</th>
                                <th scope="col">{t!(i18n, users.role)}</th>
                                <th scope="col">{t!(i18n, users.place)}</th>
                                <th scope="col">{t!(i18n, users.last_login)}</th>
                                <th scope="col">{t!(i18n, users.state)}</th>
                            }>
                                {listed.into_iter().map(|a| {
                                    let role = a.role;
                                    let name = a.username.clone();
                                    let label = a.username.clone();
                                    let href = format!("/admin/users/{}", a.id);
                                    view! {
                                        <tr data-account=name>
                                            <td><A href=href>{label}</A></td>
                                            <td>{a.display_name.clone()}</td>
                                            <td>{move || labels::role(i18n.get_locale(), role)}</td>
                                            <td>{a.place.clone().unwrap_or_default()}</td>
                                            <td>{a.last_login_at.map(fmt_time).unwrap_or_else(|| "—".into())}</td>
                                            <td><AccountState account=a /></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </DataTable>
                        }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    let update = ServerAction::<UpdateAccount>::new();
    let act = ServerAction::<AccountAction>::new();
    let error = last_error(update.value());
    let act_error = last_error(act.value());
    let accounts = Resource::new(
        move || (update.version().get(), act.version().get()),
        |_| list_accounts(),
    );
    let saved = move || matches!(update.value().get(), Some(Ok(())));
    let shown = act.value();
    view! {
        <section class="admin-user">
            <p><A href="/admin/users">{t!(i18n, users.back)}</A></p>
            <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    let all = match accounts.await {
                        Err(e) => return view! { <ErrorNote error=e /> }.into_any(),
                        Ok(all) => all,
                    };
                    let Some(a) = all.accounts.iter().find(|a| Some(a.id) == id()).cloned() else {
                        return view! { <ErrorNote error=crate::error::AppError::NotFound /> }.into_any();
                    };
                    let key = a.id.to_string();
                    let disabled = a.disabled_at.is_some();
                    let button = move |action: &'static str| {
                        let key = key.clone();
                        view! {
                            <ActionForm action=act attr:class="inline">
                                <input type="hidden" name="account" value=key />
                                <input type="hidden" name="action" value=action />
                                <button type="submit" data-testid=action>
                                    {move || match action {
                                        "reset" => t_string!(i18n, users.reset),
                                        "sign_out" => t_string!(i18n, users.sign_out),
                                        "disable" => t_string!(i18n, users.disable),
                                        _ => t_string!(i18n, users.enable),
                                    }}
                                </button>
                            </ActionForm>
                        }
                    };
                    view! {
                        <h1>{a.display_name.clone()} " · " {a.username.clone()}</h1>
                        <p>
                            <AccountState account=a.clone() />
                            " · "
                            <A href=format!("/audit?user={}", a.username)>{t!(i18n, users.audit)}</A>
                        </p>
                        <ActionForm action=update attr:class="card" attr:data-testid="edit-account">
                            <h2>{t!(i18n, users.edit)}</h2>
                            <input type="hidden" name="account" value=a.id.to_string() />
                            <label>
                                {t!(i18n, users.display_name)}
                                <input type="text" name="display_name" maxlength="60" value=a.display_name.clone() required />
                            </label>
                            {field_error(error, "display_name")}
                            <SeatFields options=all.clone() error=error current=a.clone() />
                            <button type="submit">{t!(i18n, users.save)}</button>
                            <Show when=saved>
                                <span class="saved" role="status">{t!(i18n, users.saved)}</span>
                            </Show>
                        </ActionForm>
                        <div class="card actions">
                            {button("reset")}
                            {button("sign_out")}
                            {button(if disabled { "enable" } else { "disable" })}
                        </div>
                    }.into_any()
                })}
            </Suspense>
            {move || shown.get().map(|r| match r {
                Ok(Some(p)) => view! { <OncePassword label="temporary" password=p /> }.into_any(),
                Ok(None) => view! { <p class="board-note" role="status">{t!(i18n, users.saved)}</p> }.into_any(),
                Err(_) => ().into_any(),
            })}
            {move || act_error.get().map(|e| view! { <ErrorNote error=e /> })}
        </section>
    }
}
