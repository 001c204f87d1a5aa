use std::cell::RefCell;
use std::time::Duration;

use chrono::TimeZone;
use futures::executor::block_on;
use serde_json::Value;

use super::*;
use crate::app::crm_input::{NewOrder, OrderFilter, ProductFilter};
use crate::app::ports::{JobEnd, OrderCreation, OrderStore, ProductAvailability, StatusChange};
use crate::domain::apply::Applied;
use crate::domain::ids::{test_id, CrmId, JobId};
use crate::domain::jobs::{JobRow, QueueMessage, Switches};
use crate::domain::order::OrderEvent;
use crate::domain::roles::{Role, ALL_ROLES};
use crate::domain::status::CrmStatus;
use crate::domain::views::{
    Courier, DayOrders, DeadLetter, OrderPage, OrderView, ProductView, Reference, SyncPage, SyncStatus,
};

const SECRET: &str = "test-session-secret";
const OWN: &str = "https://crm.cvety.kz";
/// A session id of 43 URL-safe characters, as `session::new_session_id` makes.
const SESSION: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The staff store, the CRM store and the queue in one; records what it was asked.
#[derive(Default)]
struct Store {
    password_hash: RefCell<String>,
    failures: RefCell<Vec<DateTime<Utc>>>,
    /// Every (login, network) the login form asked the store about.
    attempts: RefCell<Vec<(String, String)>>,
    sessions: RefCell<Vec<String>>,
    ended: RefCell<Vec<String>>,
    status_changes: RefCell<Vec<(CrmId, CrmStatus, String)>>,
    created: RefCell<Vec<(NewOrder, Option<String>, String)>>,
    queued: RefCell<Vec<QueueMessage>>,
    /// What the gateway was asked (the reconciliation's snapshot).
    gateway_calls: RefCell<Vec<Value>>,
    /// The role of the logged-in account (`None`: owner).
    role: RefCell<Option<Role>>,
    /// The courier of order 1 (`None`: nobody).
    courier: RefCell<Option<Courier>>,
    /// Every account change asked for, with the account.
    account_changes: RefCell<Vec<(Option<CrmId>, AccountChange)>>,
    /// Every courier assignment asked for.
    courier_sets: RefCell<Vec<(CourierTarget, Option<CrmId>)>>,
    /// The photo store's objects, and the photos attached to orders.
    photos: RefCell<Vec<(String, Vec<u8>)>>,
    attached: RefCell<Vec<String>>,
    /// Every edit stored.
    edits: RefCell<Vec<crate::domain::edit::OrderEdit>>,
    /// The live tracking links made.
    track_links: RefCell<Vec<String>>,
}

fn staff() -> Staff {
    Staff { id: test_id(42), login: "admin".into(), name: "Айгуль".into(), role: Role::Owner }
}

impl Store {
    fn as_role(role: Role) -> Store {
        let store = Store::default();
        *store.role.borrow_mut() = Some(role);
        store
    }
}

impl crate::app::ports::PhotoStore for Store {
    async fn put(&self, key: &str, bytes: Vec<u8>, _content_type: &str) -> Result<(), StoreError> {
        self.photos.borrow_mut().push((key.to_owned(), bytes));
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.photos.borrow().iter().find(|(k, _)| k == key).map(|(_, b)| b.clone()))
    }
}

impl TeamStore for Store {
    async fn make_track_link(
        &self,
        _order: &CrmId,
        token: &str,
        _actor: &Actor,
    ) -> Result<Option<crate::app::team::TrackLinkMade>, StoreError> {
        self.track_links.borrow_mut().push(token.to_owned());
        Ok(Some(crate::app::team::TrackLinkMade { token: token.to_owned(), made: true, jobs: vec![test_id(12)] }))
    }
    async fn revoke_track_link(
        &self,
        _order: &CrmId,
        _actor: &Actor,
    ) -> Result<Option<crate::app::team::TrackLinkRevoked>, StoreError> {
        self.track_links.borrow_mut().clear();
        Ok(Some(crate::app::team::TrackLinkRevoked { revoked: true, jobs: vec![test_id(13)] }))
    }
    async fn track_page(&self, _token: &str) -> Result<Option<crate::domain::track::TrackView>, StoreError> {
        Ok(None)
    }
    async fn attach_handover_photo(
        &self,
        _order: &CrmId,
        photo: &crate::domain::views::PhotoView,
        _actor: &Actor,
    ) -> Result<Option<bool>, StoreError> {
        self.attached.borrow_mut().push(photo.key.clone());
        Ok(Some(true))
    }
    async fn attach_photo(
        &self,
        _order: &CrmId,
        photo: &crate::domain::views::PhotoView,
        _actor: &Actor,
    ) -> Result<Option<StatusChange>, StoreError> {
        self.attached.borrow_mut().push(photo.key.clone());
        Ok(Some(StatusChange { changed: true, jobs: vec![test_id(10)] }))
    }
    async fn couriers(&self) -> Result<Vec<Courier>, StoreError> {
        Ok(vec![Courier { id: test_id(43), name: "Данияр".into() }])
    }
    async fn set_courier(
        &self,
        target: &CourierTarget,
        courier: Option<&CrmId>,
        _actor: &Actor,
    ) -> Result<crate::app::team::CourierSet, StoreError> {
        self.courier_sets.borrow_mut().push((target.clone(), courier.cloned()));
        let is_courier = courier.is_none_or(|id| *id == test_id(43));
        Ok(crate::app::team::CourierSet {
            courier: if is_courier { "ok" } else { "not_a_courier" }.into(),
            orders: if is_courier { vec![test_id(1)] } else { vec![] },
        })
    }
    async fn staff_list(&self, _window: Duration) -> Result<Vec<crate::domain::views::StaffAccount>, StoreError> {
        let at = chrono::DateTime::parse_from_rfc3339("2025-08-25T10:00:00+05:00").unwrap();
        Ok(vec![crate::domain::views::StaffAccount {
            id: test_id(43),
            login: "courier1".into(),
            name: "Данияр".into(),
            role: Role::Courier,
            created_at: at,
            disabled_at: None,
            last_login_at: None,
            recent_failures: 2,
        }])
    }
    async fn staff_changes(&self, _limit: u32) -> Result<Vec<crate::domain::views::StaffChangeEntry>, StoreError> {
        Ok(vec![])
    }
    async fn change_staff(
        &self,
        staff: Option<&CrmId>,
        change: &AccountChange,
        _actor: &Actor,
    ) -> Result<AccountOutcome, StoreError> {
        self.account_changes.borrow_mut().push((staff.cloned(), change.clone()));
        Ok(match change {
            AccountChange::Add { login, .. } if login == "admin" => AccountOutcome::LoginTaken,
            _ => AccountOutcome::Done { id: staff.cloned().unwrap_or_else(|| test_id(44)) },
        })
    }
}

impl StaffStore for Store {
    /// The per-(login, network) limit only, counted as the contract says: the attempt first.
    async fn login_attempt(
        &self,
        login: &str,
        network: &str,
        limits: &staff_login::LoginLimits,
    ) -> Result<LoginAttempt, StoreError> {
        self.attempts.borrow_mut().push((login.to_owned(), network.to_owned()));
        let mut failures = self.failures.borrow_mut();
        let count = u32::try_from(failures.len()).unwrap();
        if count >= limits.per_login_and_network {
            let until = *failures.last().unwrap() + chrono::Duration::from_std(limits.lock).unwrap();
            return Ok(LoginAttempt::Locked { until, scope: LockScope::LoginFromNetwork });
        }
        failures.push(now());
        let account = (login == "admin").then(|| (staff(), self.password_hash.borrow().clone()));
        Ok(LoginAttempt::Counted {
            attempt: i64::from(count),
            account,
            remaining: limits.per_login_and_network - count - 1,
        })
    }
    async fn login_succeeded(&self, _attempt: i64, _network: &str, session: &NewSession) -> Result<(), StoreError> {
        self.failures.borrow_mut().clear();
        self.sessions.borrow_mut().push(session.session_id.clone());
        Ok(())
    }
    async fn session(&self, session_id: &str) -> Result<Option<Staff>, StoreError> {
        let live = self.sessions.borrow().iter().any(|s| s == session_id)
            && !self.ended.borrow().iter().any(|s| s == session_id);
        let role = self.role.borrow().unwrap_or(Role::Owner);
        Ok(live.then(|| Staff { role, ..staff() }))
    }
    async fn logout(&self, session_id: &str) -> Result<(), StoreError> {
        self.ended.borrow_mut().push(session_id.into());
        Ok(())
    }
}

impl CrmStore for Store {
    async fn record_kit_outbox(&self, _report: &crate::domain::kit_outbox::KitOutbox) -> Result<(), StoreError> {
        Ok(())
    }
    async fn kit_outbox(&self) -> Result<Option<crate::domain::kit_outbox::KitOutbox>, StoreError> {
        Ok(None)
    }
    async fn edit_order(
        &self,
        _id: &CrmId,
        edit: &crate::domain::edit::OrderEdit,
        _actor: &Actor,
    ) -> Result<Option<crate::app::edit::EditStored>, StoreError> {
        self.edits.borrow_mut().push(edit.clone());
        Ok(Some(crate::app::edit::EditStored::Done { jobs: vec![test_id(11)] }))
    }
    async fn orders(&self, _filter: &OrderFilter) -> Result<Vec<OrderView>, StoreError> {
        Ok(vec![])
    }
    async fn order(&self, id: &CrmId) -> Result<Option<OrderView>, StoreError> {
        Ok((*id == test_id(1)).then(|| {
            let mut order = crate::web::telegram::tests::card();
            order.courier = self.courier.borrow().clone();
            order.track_token = self.track_links.borrow().last().cloned();
            order
        }))
    }
    async fn create_order(
        &self,
        order: &NewOrder,
        key: Option<&RequestKey>,
        _echo_window: Duration,
        actor: &Actor,
    ) -> Result<OrderCreation, StoreError> {
        self.created.borrow_mut().push((order.clone(), key.map(|k| k.as_str().to_owned()), actor.name.clone()));
        Ok(OrderCreation::Created { order_id: test_id(7), jobs: vec![test_id(8)] })
    }
    async fn set_order_status(
        &self,
        id: &CrmId,
        status: CrmStatus,
        _echo: Duration,
        actor: &Actor,
    ) -> Result<Option<StatusChange>, StoreError> {
        self.status_changes.borrow_mut().push((id.clone(), status, actor.name.clone()));
        Ok(Some(StatusChange { changed: true, jobs: vec![test_id(9)] }))
    }
    async fn products(&self, _filter: &ProductFilter) -> Result<Vec<ProductView>, StoreError> {
        Ok(vec![])
    }
    async fn product(&self, _id: &CrmId) -> Result<Option<ProductView>, StoreError> {
        Ok(None)
    }
    async fn set_availability(
        &self,
        _id: &CrmId,
        _code: &str,
        _actor: &Actor,
    ) -> Result<Option<Vec<JobId>>, StoreError> {
        Ok(Some(vec![]))
    }
    async fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        Ok(SyncStatus::new())
    }
    async fn dead_letters(&self, _limit: u32) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(vec![])
    }
    async fn replay_dead_letters(&self, _job: Option<&JobId>, _actor: &Actor) -> Result<Vec<JobId>, StoreError> {
        Ok(vec![])
    }
    async fn order_page(&self, id: &CrmId) -> Result<Option<OrderPage>, StoreError> {
        Ok(self.order(id).await?.map(|order| OrderPage { order, timeline: vec![], buyer_phone: None }))
    }
    async fn day_orders(&self, _date: chrono::NaiveDate) -> Result<DayOrders, StoreError> {
        Ok(DayOrders { slots: vec![], orders: vec![] })
    }
    async fn orders_page(&self, _filter: &OrderFilter) -> Result<(Vec<OrderView>, Reference), StoreError> {
        Ok((vec![], Reference::default()))
    }
    async fn order_form(&self) -> Result<Reference, StoreError> {
        Ok(Reference::default())
    }
    async fn sync_page(&self, _limit: u32) -> Result<SyncPage, StoreError> {
        Ok(SyncPage {
            flows: SyncStatus::new(),
            dead_letters: vec![],
            reconciliation: None,
            catalog: None,
            reference: None,
            kit_outbox: None,
        })
    }
    async fn daily_report(
        &self,
        _from: chrono::NaiveDate,
        _to: chrono::NaiveDate,
        _not_revenue: &[&str],
    ) -> Result<Vec<crate::domain::views::ReportDay>, StoreError> {
        Ok(vec![])
    }
}

impl JobStore for Store {
    async fn claim_job(&self, _id: &JobId, _lease: Duration) -> Result<Option<JobRow>, StoreError> {
        Ok(None)
    }
    async fn finish_job(&self, _id: &JobId, _end: &JobEnd) -> Result<(), StoreError> {
        Ok(())
    }
    async fn order_view(&self, _id: &CrmId) -> Result<Option<OrderView>, StoreError> {
        Ok(None)
    }
    async fn product_availability(&self, _id: &CrmId) -> Result<Option<ProductAvailability>, StoreError> {
        Ok(None)
    }
    async fn record_dead_webhook(&self, _k: &str, _b: &Value, _e: &str, _a: u32) -> Result<(), StoreError> {
        Ok(())
    }
    async fn due_jobs(&self, _limit: u32) -> Result<Vec<JobId>, StoreError> {
        Ok(vec![])
    }
    async fn add_jobs(&self, _jobs: &[crate::domain::jobs::NewJob]) -> Result<Vec<JobId>, StoreError> {
        Ok(vec![])
    }
    async fn risk_candidates(&self, _day: chrono::NaiveDate, _statuses: &[&str]) -> Result<DayOrders, StoreError> {
        Ok(DayOrders { slots: vec![], orders: vec![] })
    }
    async fn daily_summary(
        &self,
        _day: chrono::NaiveDate,
        _n: &[&str],
        _w: &[&str],
    ) -> Result<crate::domain::views::DaySummary, StoreError> {
        Err(StoreError::unavailable("none", None))
    }
    async fn claim_chat_backlog(
        &self,
        _job: &JobId,
        _kinds: &(crate::domain::flow::Flow, Vec<String>),
        _min: u32,
        _limit: u32,
        _lease: Duration,
    ) -> Result<Vec<crate::domain::jobs::BacklogJob>, StoreError> {
        Ok(vec![])
    }
    async fn finish_chat_backlog(&self, _jobs: &[JobId], _digest: &JobId, _sent: bool) -> Result<(), StoreError> {
        Ok(())
    }
    async fn backfill_to_announce(
        &self,
        _quiet: Duration,
    ) -> Result<Option<crate::domain::jobs::BackfillLoad>, StoreError> {
        Ok(None)
    }
}

impl crate::app::ports::CatalogStore for Store {
    async fn catalog_run_due(
        &self,
        _daily: Duration,
        _every: Duration,
        _overlap: Duration,
    ) -> Result<Option<crate::domain::catalog::CatalogDue>, StoreError> {
        Ok(None)
    }
    async fn start_catalog_run(
        &self,
        _trigger: crate::domain::catalog::CatalogTrigger,
    ) -> Result<Option<CrmId>, StoreError> {
        Ok(None)
    }
    async fn apply_catalog_page(
        &self,
        _run: &CrmId,
        _products: &[crate::domain::catalog::CatalogProduct],
    ) -> Result<crate::domain::catalog::CatalogOutcome, StoreError> {
        Err(StoreError::unavailable("none", None))
    }
    async fn finish_catalog_run(
        &self,
        _run: &CrmId,
        _outcome: &crate::domain::catalog::CatalogOutcome,
        _complete: bool,
    ) -> Result<crate::domain::catalog::CatalogOutcome, StoreError> {
        Err(StoreError::unavailable("none", None))
    }
}

impl crate::app::ports::ReferenceStore for Store {
    async fn reference_refresh_due(
        &self,
        _daily: Duration,
        _retry: Duration,
    ) -> Result<Option<crate::domain::reference::RefreshTrigger>, StoreError> {
        Ok(None)
    }
    async fn apply_reference(
        &self,
        _reference: &crate::domain::reference::ShopReference,
        _trigger: crate::domain::reference::RefreshTrigger,
    ) -> Result<crate::domain::reference::RefreshOutcome, StoreError> {
        Err(StoreError::unavailable("none", None))
    }
    async fn record_reference_failure(
        &self,
        _trigger: crate::domain::reference::RefreshTrigger,
        _error: &str,
    ) -> Result<(), StoreError> {
        Ok(())
    }
}

impl ReconcileStore for Store {
    async fn start_reconciliation(
        &self,
        _trigger: crate::domain::reconciliation::Trigger,
        _day: chrono::NaiveDate,
        _period: crate::domain::reconciliation::ReconcilePeriod,
    ) -> Result<Option<CrmId>, StoreError> {
        Ok(Some(test_id(7)))
    }
    async fn reconcile_rows(&self, _ids: &[u64]) -> Result<Vec<crate::domain::reconciliation::CrmRow>, StoreError> {
        Ok(vec![])
    }
    async fn finish_reconciliation(
        &self,
        _id: &CrmId,
        _outcome: &crate::domain::reconciliation::RunOutcome,
    ) -> Result<Vec<JobId>, StoreError> {
        Ok(vec![])
    }
    async fn reconciliation(
        &self,
        _id: Option<&CrmId>,
    ) -> Result<Option<crate::domain::reconciliation::Reconciliation>, StoreError> {
        Ok(None)
    }
}

impl BitrixGateway for Store {
    async fn call(
        &self,
        request: &crate::domain::gateway::GatewayRequest,
        _key: &str,
    ) -> Result<Value, crate::domain::retry::Failure> {
        self.gateway_calls.borrow_mut().push(serde_json::to_value(request).unwrap());
        // Two orders in Bitrix, neither in the CRM.
        Ok(serde_json::json!({"ok": true, "queued": 2, "orders": [
            {"id": "1", "status_id": "N", "price": "1"}, {"id": "2", "status_id": "N", "price": "1"}]}))
    }
}

impl OrderStore for Store {
    async fn apply_order_event(&self, _event: &OrderEvent) -> Result<Applied, StoreError> {
        unreachable!("pages apply no webhook")
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl JobQueue for Store {
    async fn send(&self, message: &QueueMessage, _delay: Duration) -> Result<(), String> {
        self.queued.borrow_mut().push(message.clone());
        Ok(())
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 8, 25, 10, 0, 0).unwrap()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

struct Call<'a> {
    route: Result<PageRoute, Miss>,
    target: &'a str,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    cookie: Option<String>,
    origin: Option<&'a str>,
    upload: Option<Result<Vec<u8>, crate::domain::photo::PhotoProblem>>,
}

impl<'a> Call<'a> {
    fn get(route: PageRoute, target: &'a str) -> Self {
        Call { route: Ok(route), target, query: vec![], form: vec![], cookie: None, origin: None, upload: None }
    }
    fn post(route: PageRoute, form: &[(&str, &str)]) -> Self {
        Call {
            route: Ok(route),
            target: "/crm",
            query: vec![],
            form: pairs(form),
            cookie: None,
            origin: Some(OWN),
            upload: None,
        }
    }
    fn logged_in(mut self) -> Self {
        self.cookie = Some(format!("{}={}", session::COOKIE, session::sign(SECRET, SESSION)));
        self
    }
    fn from(mut self, origin: &'a str) -> Self {
        self.origin = Some(origin);
        self
    }
}

fn serve(store: &Store, call: &Call) -> PageAnswer {
    let desk = Desk {
        crm: Crm { store, queue: store, gateway: store, switches: Switches::all_on(), now: now(), risk_window: 120 },
        session_secret: SECRET,
        photos: store,
        public_url: OWN,
    };
    let request = PageRequest {
        target: call.target,
        query: &call.query,
        form: &call.form,
        cookie: call.cookie.as_deref(),
        origin: call.origin,
        sec_fetch_site: None,
        own_origin: OWN,
        now: now(),
        fresh_token: SESSION,
        fresh_secret: "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        upload: call.upload.as_ref().map(|upload| upload.as_ref().map(Vec::as_slice).map_err(|p| *p)),
        network: "203.0.113.7",
    };
    block_on(desk.serve(&call.route, &request)).0
}

fn header<'a>(answer: &'a PageAnswer, name: &str) -> Option<&'a str> {
    answer.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
}

fn with_session() -> Store {
    let store = Store::default();
    store.sessions.borrow_mut().push(SESSION.into());
    store
}

#[test]
fn a_page_without_a_session_sends_to_the_login_with_the_page_it_asked_for() {
    let store = Store::default();
    let answer = serve(&store, &Call::get(PageRoute::Orders, "/crm/orders?status=new"));
    assert_eq!(answer.status, 303);
    assert_eq!(header(&answer, "Location"), Some("/crm/login?next=%2Fcrm%2Forders%3Fstatus%3Dnew"));
}

#[test]
fn a_change_without_a_session_is_refused_with_403_and_changes_nothing() {
    let store = Store::default();
    let answer = serve(&store, &Call::post(PageRoute::SetOrderStatus(test_id(1)), &[("status", "accepted")]));
    assert_eq!(answer.status, 403);
    assert!(store.status_changes.borrow().is_empty());
}

#[test]
fn a_change_from_another_site_is_refused_with_403_even_with_a_session() {
    let store = with_session();
    let call = Call::post(PageRoute::SetOrderStatus(test_id(1)), &[("status", "accepted")])
        .logged_in()
        .from("https://evil.example");
    let answer = serve(&store, &call);
    assert_eq!(answer.status, 403);
    assert!(answer.html.contains("Ничего не изменено"));
    assert!(store.status_changes.borrow().is_empty());
}

#[test]
fn a_status_change_records_the_staff_member_and_goes_back_to_the_card() {
    let store = with_session();
    let call = Call::post(PageRoute::SetOrderStatus(test_id(1)), &[("status", "accepted")]).logged_in();

    let answer = serve(&store, &call);

    assert_eq!(answer.status, 303);
    assert_eq!(header(&answer, "Location"), Some("/crm/orders/00000000-0000-4000-8000-000000000001?done=status"));
    assert_eq!(*store.status_changes.borrow(), vec![(test_id(1), CrmStatus::Accepted, "Айгуль".to_owned())]);
    assert_eq!(*store.queued.borrow(), vec![QueueMessage::Job { job_id: test_id(9), attempt: 1 }]);
}

#[test]
fn the_right_password_starts_a_session_with_a_signed_strict_cookie() {
    let store = Store::default();
    *store.password_hash.borrow_mut() = crate::web::session::tests_hash("dev-staff-password");
    let call = Call::post(
        PageRoute::LoginSubmit,
        &[("login", " Admin "), ("password", "dev-staff-password"), ("next", "/crm/sync")],
    );

    let answer = serve(&store, &call);

    assert_eq!((answer.status, header(&answer, "Location")), (303, Some("/crm/sync")));
    let cookie = header(&answer, "Set-Cookie").unwrap();
    assert!(cookie.starts_with(&format!("__Host-cvety_session={}", session::sign(SECRET, SESSION))), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Strict"));
    assert_eq!(*store.sessions.borrow(), vec![SESSION.to_owned()]);
}

#[test]
fn a_wrong_password_is_refused_and_the_fifth_locks_the_login_even_for_the_right_one() {
    let store = Store::default();
    *store.password_hash.borrow_mut() = crate::web::session::tests_hash("dev-staff-password");
    let wrong = Call::post(PageRoute::LoginSubmit, &[("login", "admin"), ("password", "nope")]);

    let first = serve(&store, &wrong);
    for _ in 0..3 {
        serve(&store, &wrong);
    }
    let fifth = serve(&store, &wrong);
    let right =
        serve(&store, &Call::post(PageRoute::LoginSubmit, &[("login", "admin"), ("password", "dev-staff-password")]));

    assert_eq!(first.status, 401);
    assert!(first.html.contains("Неверный логин или пароль"));
    assert_eq!(fifth.status, 429);
    assert!(fifth.html.contains("заблокирован до 15:15"), "10:00 UTC + 15 min, in Almaty");
    assert_eq!(right.status, 429, "locked: the right password does not open it either");
    assert!(store.sessions.borrow().is_empty());
}

#[test]
fn an_unknown_login_is_told_exactly_what_a_wrong_password_is() {
    let store = Store::default();
    let answer = serve(&store, &Call::post(PageRoute::LoginSubmit, &[("login", "nobody"), ("password", "x")]));
    assert_eq!(answer.status, 401);
    assert!(answer.html.contains("Неверный логин или пароль"));
}

#[test]
fn logging_out_ends_the_session_so_its_cookie_opens_nothing() {
    let store = with_session();
    let out = serve(&store, &Call::post(PageRoute::Logout, &[]).logged_in());
    let after = serve(&store, &Call::get(PageRoute::Orders, "/crm/orders").logged_in());
    assert_eq!(header(&out, "Location"), Some("/crm/login?done=logged_out"));
    assert!(header(&out, "Set-Cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(after.status, 303, "back to the login");
}

#[test]
fn an_unknown_order_is_a_russian_404_page() {
    let store = with_session();
    let answer = serve(&store, &Call::get(PageRoute::Order(test_id(99)), "/crm/orders/x").logged_in());
    assert_eq!(answer.status, 404);
    assert!(answer.html.contains("Заказ не найден"));
}

#[test]
fn every_page_carries_a_policy_that_allows_no_script_but_our_own() {
    let store = with_session();
    let answer = serve(&store, &Call::get(PageRoute::Board, "/crm").logged_in());
    assert_eq!(answer.status, 200);
    let policy = header(&answer, "Content-Security-Policy").unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"));
    assert_eq!(header(&answer, "Cache-Control"), Some("no-store"));
}

#[test]
fn the_create_form_turns_rows_into_items_and_shows_problems_beside_their_row() {
    let store = with_session();
    let form = [
        ("recipient_name", "Айгерим"),
        ("recipient_phone", "+49 30 123"),
        ("delivery_address", "Алматы"),
        ("delivery_date", "2025-08-25"),
        ("request_key", "form-1"),
        ("items[2].product", "Букет Стандарт (15652)"),
        ("items[2].price", "много"),
        ("items[4].product", "что-то"),
        ("items[4].price", "100"),
    ];

    let answer = serve(&store, &Call::post(PageRoute::CreateOrder, &form).logged_in());

    assert_eq!(answer.status, 422);
    assert!(
        answer.html.contains(r#"id="items-4--product-error" role="alert">Выберите товар из списка"#),
        "{}",
        answer.html
    );
    assert!(answer
        .html
        .contains(r#"id="recipient_phone-error" role="alert">Номер телефона должен быть казахстанским"#));
    assert!(
        answer.html.contains(r#"id="items-2--price-error" role="alert">Цена должна быть"#),
        "row 3's price, not row 1's"
    );
    assert!(store.created.borrow().is_empty());
    let ok = [("recipient_phone", "8 701 555 12 34"), ("items[2].price", "7500")];
    let fixed: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| !k.starts_with("items[4]") && !ok.iter().any(|(o, _)| o == k))
        .copied()
        .chain(ok)
        .collect();
    let created = serve(&store, &Call::post(PageRoute::CreateOrder, &fixed).logged_in());
    assert_eq!(header(&created, "Location"), Some("/crm/orders/00000000-0000-4000-8000-000000000007?done=created"));
    let (order, key, actor) = store.created.borrow()[0].clone();
    assert_eq!((order.items.len(), key.as_deref(), actor.as_str()), (1, Some("form-1"), "Айгуль"));
    assert_eq!(order.items[0].bitrix_product_id.map(|id| id.get()), Some(15652));
}

#[test]
fn after_the_login_only_our_own_pages_are_gone_to() {
    assert_eq!(safe_next(Some("/crm/orders?status=new")), "/crm/orders?status=new");
    for next in ["https://evil.example", "//evil.example", "/crm//evil", "/crm/login", "/api/orders", "/crm\\x", "crm"]
    {
        assert_eq!(safe_next(Some(next)), "/crm", "{next}");
    }
}

#[test]
fn reconciling_from_the_sync_page_runs_the_last_seven_days_and_comes_back_with_what_it_found() {
    let store = with_session();
    let answer = serve(&store, &Call::post(PageRoute::Reconcile, &[]).logged_in());
    assert_eq!(answer.status, 303);
    assert_eq!(header(&answer, "Location"), Some("/crm/sync?done=reconciled&n=2"));
    let calls = store.gateway_calls.borrow();
    assert_eq!(calls[0]["action"], "orders.snapshot");
    assert_eq!((calls[0]["from"].as_str(), calls[0]["to"].as_str()), (Some("2025-08-19"), Some("2025-08-25")));
    assert_eq!(calls[1]["bitrix_order_ids"], serde_json::json!([1, 2]));
    let flash = flash(&pairs(&[("done", "reconciled"), ("n", "2")])).unwrap();
    assert!(flash.text.contains("Сверка выполнена: расхождений 2"), "{flash:?}");
}

#[test]
fn a_login_longer_than_any_account_can_have_is_refused_before_the_store_is_asked() {
    let store = Store::default();
    let long = "a".repeat(65);
    let answer = serve(&store, &Call::post(PageRoute::LoginSubmit, &[("login", &long), ("password", "x")]));
    assert_eq!(answer.status, 400);
    assert!(answer.html.contains("Логин длиннее 64 символов"), "{}", answer.html);
    assert!(store.attempts.borrow().is_empty(), "no store call");
    let sixty_four = "a".repeat(64);
    serve(&store, &Call::post(PageRoute::LoginSubmit, &[("login", &sixty_four), ("password", "x")]));
    assert_eq!(store.attempts.borrow().len(), 1, "64 characters are a login");
}

#[test]
fn the_login_form_asks_the_store_with_the_network_and_never_logs_the_typed_login() {
    let store = Store::default();
    let desk = Desk {
        crm: Crm {
            store: &store,
            queue: &store,
            gateway: &store,
            switches: Switches::all_on(),
            now: now(),
            risk_window: 120,
        },
        session_secret: SECRET,
        photos: &store,
        public_url: OWN,
    };
    let form = pairs(&[("login", "my-secret-password"), ("password", "x")]);
    let request = PageRequest {
        target: "/crm/login",
        query: &[],
        form: &form,
        cookie: None,
        origin: Some(OWN),
        sec_fetch_site: None,
        own_origin: OWN,
        now: now(),
        fresh_token: SESSION,
        fresh_secret: "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        upload: None,
        network: "198.51.100.0",
    };
    let (answer, logs) = block_on(desk.serve(&Ok(PageRoute::LoginSubmit), &request));
    assert_eq!(answer.status, 401);
    assert_eq!(*store.attempts.borrow(), vec![("my-secret-password".to_owned(), "198.51.100.0".to_owned())]);
    assert!(!logs.is_empty());
    assert!(logs.iter().all(|line| !line.render().contains("my-secret-password")), "the typed login is never logged");
}

/// Serves `route` to a logged-in account of `role` (a POST from our own pages for a change).
fn as_role(role: Role, route: PageRoute, form: &[(&str, &str)]) -> (Store, PageAnswer) {
    let store = Store::as_role(role);
    store.sessions.borrow_mut().push(SESSION.into());
    let call = if route.is_change() { Call::post(route, form) } else { Call::get(route, "/crm") };
    let answer = serve(&store, &call.logged_in());
    (store, answer)
}

#[test]
fn every_route_times_every_role_is_served_or_refused_exactly_as_the_roles_rule_says() {
    for route in crate::web::access::tests::every_page_route() {
        if matches!(route, PageRoute::Login | PageRoute::LoginSubmit | PageRoute::Logout) {
            continue;
        }
        for role in ALL_ROLES {
            let (store, answer) = as_role(role, route.clone(), &[]);
            let refused = answer.status == 403 && answer.html.contains("Нет доступа");
            let sent_home = answer.headers.iter().any(|(name, value)| *name == "Location" && value == "/crm/my");
            let allowed = crate::web::access::rule(&route).admits(role);
            assert_eq!(!(refused || sent_home), allowed, "{role:?} on {route:?}: {}", answer.status);
            if !allowed {
                assert!(store.status_changes.borrow().is_empty() && store.account_changes.borrow().is_empty());
                assert!(store.courier_sets.borrow().is_empty() && store.created.borrow().is_empty());
            }
        }
    }
}

#[test]
fn a_florist_sees_the_card_without_prices_or_payment_and_a_manager_sees_them() {
    let (_, florist) = as_role(Role::Florist, PageRoute::Order(test_id(1)), &[]);
    let (_, manager) = as_role(Role::Manager, PageRoute::Order(test_id(1)), &[]);
    assert_eq!((florist.status, manager.status), (200, 200));
    assert!(!florist.html.contains("₸") && !florist.html.contains("Итого"), "the florist sees no money");
    assert!(manager.html.contains("Итого") && manager.html.contains("₸"));
    assert!(!florist.html.contains("/courier\""), "the florist assigns no courier");
    assert!(manager.html.contains("Данияр"), "the manager is offered the couriers");
}

#[test]
fn the_navigation_shows_each_role_only_the_sections_it_may_open() {
    let (_, florist) = as_role(Role::Florist, PageRoute::Board, &[]);
    assert!(florist.html.contains("href=\"/crm/products\""));
    for hidden in ["/crm/sync", "/crm/reports", "/crm/orders\"", "/crm/staff", "/crm/my"] {
        assert!(!florist.html.contains(&format!("href=\"{hidden}")), "{hidden}");
    }
    let (_, courier) = as_role(Role::Courier, PageRoute::MyDeliveries, &[]);
    assert!(courier.html.contains("href=\"/crm/my\"") && !courier.html.contains("href=\"/crm\""));
}

#[test]
fn a_courier_cannot_take_or_deliver_an_order_that_is_not_theirs_and_nothing_changes() {
    let (store, answer) = as_role(Role::Courier, PageRoute::Picked(test_id(1)), &[]);
    assert_eq!(answer.status, 403);
    assert!(answer.html.contains("назначен не вам"));
    assert!(store.status_changes.borrow().is_empty());
}

#[test]
fn a_courier_takes_their_own_order_and_it_is_on_its_way() {
    let store = Store::as_role(Role::Courier);
    store.sessions.borrow_mut().push(SESSION.into());
    // The session's staff is test_id(42) whatever the role.
    *store.courier.borrow_mut() = Some(Courier { id: test_id(42), name: "Айгуль".into() });
    let answer = serve(&store, &Call::post(PageRoute::Picked(test_id(1)), &[]).logged_in());
    assert_eq!(answer.status, 303);
    assert_eq!(store.status_changes.borrow()[0].1, CrmStatus::Delivering);
    let answer = serve(&store, &Call::post(PageRoute::Delivered(test_id(1)), &[]).logged_in());
    assert_eq!(answer.status, 303);
    assert_eq!(store.status_changes.borrow()[1].1, CrmStatus::Completed);
}

#[test]
fn a_slot_gets_one_courier_and_an_account_that_is_not_a_courier_is_refused_in_words() {
    let courier = test_id(43).to_string();
    let (store, answer) = as_role(
        Role::Manager,
        PageRoute::AssignSlotCourier,
        &[("date", "2025-08-25"), ("slot", "18"), ("courier", &courier)],
    );
    assert_eq!(answer.status, 303);
    let target = CourierTarget::Slot { date: chrono::NaiveDate::from_ymd_opt(2025, 8, 25).unwrap(), slot: Some(18) };
    assert_eq!(store.courier_sets.borrow()[0], (target, Some(test_id(43))));
    let other = test_id(99).to_string();
    let (_, refused) = as_role(Role::Manager, PageRoute::AssignCourier(test_id(1)), &[("courier", &other)]);
    let location = refused.headers.iter().find(|(n, _)| *n == "Location").unwrap().1.clone();
    assert!(location.ends_with("done=not_a_courier"), "{location}");
    let (store, bad) = as_role(Role::Manager, PageRoute::AssignSlotCourier, &[("date", "вчера"), ("slot", "18")]);
    assert!(bad.headers.iter().any(|(n, v)| *n == "Location" && v.ends_with("bad_slot")));
    assert!(store.courier_sets.borrow().is_empty());
}

#[test]
fn the_owner_adds_an_account_and_sees_its_temporary_password_once_and_a_taken_login_is_said_beside_the_field() {
    let (store, answer) =
        as_role(Role::Owner, PageRoute::AddStaff, &[("login", "Courier2"), ("name", "Ерлан"), ("role", "courier")]);
    assert_eq!(answer.status, 200);
    assert!(answer.html.contains("Временный пароль для courier2"));
    let changes = store.account_changes.borrow();
    let AccountChange::Add { login, role, password_hash, .. } = &changes[0].1 else { panic!("{changes:?}") };
    assert_eq!((login.as_str(), *role), ("courier2", Role::Courier));
    let shown = answer.html.split("<code>").nth(1).unwrap().split("</code>").next().unwrap();
    assert_eq!(shown.len(), 12);
    assert!(session::verify_password(shown, password_hash), "the hash stored is the password shown");

    let (_, taken) = as_role(Role::Owner, PageRoute::AddStaff, &[("login", "admin"), ("name", "Я"), ("role", "owner")]);
    assert_eq!(taken.status, 422);
    assert!(taken.html.contains("Этот логин уже занят"));
    let (store, empty) = as_role(Role::Owner, PageRoute::AddStaff, &[("login", ""), ("name", ""), ("role", "boss")]);
    assert_eq!(empty.status, 422);
    assert!(empty.html.contains("Укажите логин") && empty.html.contains("Выберите роль из списка"));
    assert!(store.account_changes.borrow().is_empty());
}

#[test]
fn the_owner_cannot_disable_or_demote_themself_on_the_page() {
    for form in [[("action", "disable"), ("role", "")], [("action", "role"), ("role", "courier")]] {
        let (store, answer) = as_role(Role::Owner, PageRoute::ChangeStaff(test_id(42)), &form);
        assert!(answer.headers.iter().any(|(n, v)| *n == "Location" && v.ends_with("staff_self")), "{form:?}");
        assert!(store.account_changes.borrow().is_empty());
    }
    let (store, reset) = as_role(Role::Owner, PageRoute::ChangeStaff(test_id(43)), &[("action", "reset")]);
    assert!(reset.html.contains("Временный пароль для courier1"));
    assert!(matches!(store.account_changes.borrow()[0].1, AccountChange::Reset { .. }));
}

#[test]
fn an_export_is_a_csv_download_with_the_bom() {
    let (_, answer) = as_role(Role::Manager, PageRoute::ExportReport, &[]);
    assert_eq!(answer.status, 200);
    assert!(answer.headers.contains(&("Content-Type", "text/csv; charset=utf-8".to_owned())));
    assert!(answer.headers.iter().any(|(n, v)| *n == "Content-Disposition" && v.starts_with("attachment; filename=")));
    assert!(answer.html.starts_with('\u{feff}'));
}

fn photo_post(role: Role, upload: Result<Vec<u8>, crate::domain::photo::PhotoProblem>) -> (Store, PageAnswer) {
    let store = Store::as_role(role);
    store.sessions.borrow_mut().push(SESSION.into());
    let mut call = Call::post(PageRoute::AttachPhoto(test_id(1)), &[]).logged_in();
    call.upload = Some(upload);
    let answer = serve(&store, &call);
    (store, answer)
}

#[test]
fn a_florist_attaches_the_bouquets_photo_and_it_is_stored_under_its_bytes_and_queued_once() {
    let (store, answer) = photo_post(Role::Florist, Ok(crate::domain::photo::tests::jpeg()));
    assert_eq!(answer.status, 303);
    assert!(answer.headers.iter().any(|(n, v)| *n == "Location" && v.ends_with("done=photo")));
    let stored = store.photos.borrow();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].0.starts_with(&format!("orders/{}/bouquet-", test_id(1))) && stored[0].0.ends_with(".jpg"));
    assert_eq!(*store.attached.borrow(), [stored[0].0.clone()]);
    assert_eq!(store.queued.borrow().len(), 1, "the chat's job");
}

#[test]
fn a_photo_that_is_not_an_image_is_too_big_or_cut_short_is_refused_beside_its_field_and_nothing_is_stored() {
    let jpeg = crate::domain::photo::tests::jpeg();
    let cases = [
        (Ok(b"%PDF-1.7".to_vec()), 422, "Это не фото"),
        (Ok(jpeg[..jpeg.len() - 10].to_vec()), 422, "загрузилось не полностью"),
        (Err(crate::domain::photo::PhotoProblem::TooLarge { size: 12 * 1_048_576 }), 413, "Фото весит 12,0 МБ"),
        (Err(crate::domain::photo::PhotoProblem::Missing), 422, "Выберите фото"),
    ];
    for (upload, status, message) in cases {
        let (store, answer) = photo_post(Role::Florist, upload);
        assert_eq!(answer.status, status, "{message}");
        assert!(answer.html.contains(message), "{message}");
        assert!(answer.html.contains("id=\"photo-error\""), "beside the field");
        assert!(store.photos.borrow().is_empty() && store.attached.borrow().is_empty());
    }
}

#[test]
fn a_courier_cannot_attach_a_bouquet_photo() {
    let (store, answer) = photo_post(Role::Courier, Ok(crate::domain::photo::tests::jpeg()));
    assert_eq!(answer.status, 403);
    assert!(store.photos.borrow().is_empty());
}

#[test]
fn the_manager_makes_the_buyers_link_with_the_requests_fresh_random_token_and_a_florist_cannot() {
    let (store, answer) = as_role(Role::Manager, PageRoute::MakeTrackLink(test_id(1)), &[]);
    assert_eq!(answer.status, 303);
    assert_eq!(*store.track_links.borrow(), ["BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"]);
    assert_eq!(store.queued.borrow().len(), 1, "the job that writes it to Bitrix");
    let (store, answer) = as_role(Role::Florist, PageRoute::MakeTrackLink(test_id(1)), &[]);
    assert_eq!(answer.status, 403);
    assert!(store.track_links.borrow().is_empty());
}

#[test]
fn the_card_offers_the_buyers_link_with_whatsapp_and_revocation_once_it_exists() {
    let store = Store::as_role(Role::Manager);
    store.sessions.borrow_mut().push(SESSION.into());
    let card = || serve(&store, &Call::get(PageRoute::Order(test_id(1)), "/crm").logged_in()).html;
    let before = card();
    assert!(before.contains("Создать ссылку"));
    assert!(!before.contains("wa.me"));
    serve(&store, &Call::post(PageRoute::MakeTrackLink(test_id(1)), &[]).logged_in());
    let after = card();
    let token = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    assert!(after.contains(&format!("{OWN}/t/{token}")), "the link on the card");
    assert!(after.contains("https://wa.me/?text="), "WhatsApp, the buyer's phone unknown here");
    assert!(after.contains("Отозвать ссылку") && !after.contains("Создать ссылку"));
}
