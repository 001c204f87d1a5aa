//! The shop's team in the CRM: staff accounts run by the owner (add, disable, enable, a new
//! password, unlock, a new role) and the couriers of orders (one order, a whole slot, and the
//! courier's own «Забрал» / «Доставлено»). Inputs are read here once; the store does each change
//! and records it with who made it.

use chrono::NaiveDate;

pub use crate::app::changes::{
    AccountChange, AccountOutcome, CourierSet, CourierTarget, TrackLinkMade, TrackLinkRevoked,
};
use crate::app::crm::{Crm, CrmError};
use crate::app::crm_input::{problem, Actor, Problem};
use crate::app::handoff::enqueue_jobs;
use crate::app::ports::{BitrixGateway, CrmStore, JobQueue, JobStore, PhotoStore, ReconcileStore, TeamStore};
use crate::domain::ids::{CrmId, Record};
use crate::domain::jobs::echo_window;
use crate::domain::photo::{photo_key, sniff, ImageKind, PhotoProblem};
use crate::domain::roles::Role;
use crate::domain::staff_login::MAX_LOGIN_CHARS;
use crate::domain::status::CrmStatus;
use crate::domain::views::PhotoView;
use crate::domain::views::{DayOrders, Staff};

/// The longest name of a staff member (the staff table's check).
pub const MAX_NAME_CHARS: usize = 200;

/// A change the owner asked for on `/crm/staff/{id}`, before any password is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    Disable,
    Enable,
    Reset,
    Unlock,
    Role(Role),
}

/// Reads the staff page's `action` (and `role`) fields.
///
/// # Errors
/// A problem naming the field when the action or the role is not one the page offers.
pub fn parse_account_action(action: Option<&str>, role: Option<&str>) -> Result<AccountAction, Problem> {
    Ok(match action.unwrap_or("").trim() {
        "disable" => AccountAction::Disable,
        "enable" => AccountAction::Enable,
        "reset" => AccountAction::Reset,
        "unlock" => AccountAction::Unlock,
        "role" => {
            AccountAction::Role(role.and_then(Role::parse).ok_or_else(|| problem("role", "Выберите роль из списка"))?)
        }
        _ => return Err(problem("action", "Такого действия нет")),
    })
}

/// A new account as the owner typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub login: String,
    pub name: String,
    pub role: Role,
}

/// Reads the new account form: a login of Latin letters, digits, `.`, `_` or `-` (it is typed on
/// a phone's keyboard), a name, a role. Every problem at once.
///
/// # Errors
/// The problems, each beside its field.
pub fn parse_new_account(
    login: Option<&str>,
    name: Option<&str>,
    role: Option<&str>,
) -> Result<NewAccount, Vec<Problem>> {
    let mut problems = Vec::new();
    let login = login.unwrap_or("").trim().to_lowercase();
    if login.is_empty() {
        problems.push(problem("login", "Укажите логин"));
    } else if login.chars().count() > MAX_LOGIN_CHARS {
        problems.push(problem("login", format!("Логин длиннее {MAX_LOGIN_CHARS} символов")));
    } else if !login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)) {
        problems.push(problem("login", "Логин: латинские буквы, цифры, точка, _ или -"));
    }
    let name = name.unwrap_or("").trim().to_owned();
    if name.is_empty() {
        problems.push(problem("name", "Укажите имя"));
    } else if name.chars().count() > MAX_NAME_CHARS {
        problems.push(problem("name", format!("Имя длиннее {MAX_NAME_CHARS} символов")));
    }
    let role = role.and_then(Role::parse);
    if role.is_none() {
        problems.push(problem("role", "Выберите роль из списка"));
    }
    match role {
        Some(role) if problems.is_empty() => Ok(NewAccount { login, name, role }),
        _ => Err(problems),
    }
}

/// What a courier did with an order on their page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourierStep {
    /// «Забрал»: the order leaves with the courier (→ «Доставляется»).
    Picked,
    /// «Доставлено»: handed over (→ «Доставлен»).
    Delivered,
}

impl CourierStep {
    /// The status the step sets.
    #[must_use]
    pub fn status(self) -> CrmStatus {
        match self {
            CourierStep::Picked => CrmStatus::Delivering,
            CourierStep::Delivered => CrmStatus::Completed,
        }
    }
}

/// Why a courier's step was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepRefusal {
    /// The order is another courier's, or nobody's: the page says so with a 403.
    NotYours,
    /// The order is already past this step, or closed.
    TooLate,
    /// The handover photo is not one (nothing changed).
    Photo(PhotoProblem),
}

/// True when `step` makes sense for an order in `status`.
#[must_use]
pub fn step_fits(step: CourierStep, status: CrmStatus) -> bool {
    match step {
        CourierStep::Picked => status.waits_for_courier(),
        CourierStep::Delivered => status.waits_for_courier() || status == CrmStatus::Delivering,
    }
}

impl<S: CrmStore + JobStore + ReconcileStore + TeamStore, Q: JobQueue, G: BitrixGateway> Crm<'_, S, Q, G> {
    /// The active couriers, by name.
    pub async fn couriers(&self) -> Result<Vec<crate::domain::views::Courier>, CrmError> {
        Ok(self.store.couriers().await?)
    }

    /// Sets (or takes off, `None`) the courier of one order or of a slot's open orders.
    pub async fn set_courier(
        &self,
        target: &CourierTarget,
        courier: Option<&CrmId>,
        actor: &Actor,
    ) -> Result<CourierSet, CrmError> {
        Ok(self.store.set_courier(target, courier, actor).await?)
    }

    /// The courier's own deliveries of `day`, with the day's slots (to put them in order).
    pub async fn deliveries(&self, courier: &Staff, day: NaiveDate) -> Result<DayOrders, CrmError> {
        let mut day = self.store.day_orders(day).await?;
        day.orders.retain(|order| order.courier.as_ref().is_some_and(|c| c.id == courier.id));
        Ok(day)
    }

    /// Keeps a photo already told by its bytes (`kind`) in `photos`, under a key its bytes name.
    async fn keep_photo<P: PhotoStore>(
        photos: &P,
        order: &CrmId,
        purpose: &str,
        kind: ImageKind,
        bytes: Vec<u8>,
    ) -> Result<PhotoView, CrmError> {
        let key = photo_key(order.as_str(), purpose, kind, &bytes);
        let size = bytes.len() as u64;
        photos.put(&key, bytes, kind.content_type()).await?;
        Ok(PhotoView { key, content_type: kind.content_type().to_owned(), size, at: None, by: None })
    }

    /// The courier's «Забрал» or «Доставлено» on one of their own orders; «Доставлено» may carry
    /// a photo of the handover (checked like any photo, kept in `photos`).
    pub async fn courier_step<P: PhotoStore>(
        &self,
        courier: &Staff,
        id: &CrmId,
        step: CourierStep,
        handover: Option<(&P, Vec<u8>)>,
    ) -> Result<Result<(), StepRefusal>, CrmError> {
        let order = self.store.order(id).await?.ok_or(CrmError::NotFound(Record::Order))?;
        if order.courier.as_ref().is_none_or(|c| c.id != courier.id) {
            return Ok(Err(StepRefusal::NotYours));
        }
        if !step_fits(step, order.status) {
            return Ok(Err(StepRefusal::TooLate));
        }
        if let Some((photos, bytes)) = handover {
            let kind = match sniff(&bytes) {
                Ok(kind) => kind,
                Err(problem) => return Ok(Err(StepRefusal::Photo(problem))),
            };
            let photo = Self::keep_photo(photos, id, "handover", kind, bytes).await?;
            self.store.attach_handover_photo(id, &photo, &Actor::staff(courier)).await?;
        }
        let change = self
            .store
            .set_order_status(id, step.status(), echo_window(), &Actor::staff(courier))
            .await?
            .ok_or(CrmError::NotFound(Record::Order))?;
        enqueue_jobs(self.queue, &change.jobs).await;
        Ok(Ok(()))
    }

    /// The florist's «Собран» with the bouquet's photo: told by its bytes, stored in `photos`
    /// under a key its bytes name, then recorded (and queued for the chat) once. `Ok(Err)` says
    /// what is wrong with the photo; nothing is stored then.
    pub async fn attach_photo<P: PhotoStore>(
        &self,
        photos: &P,
        order: &CrmId,
        bytes: Vec<u8>,
        actor: &Actor,
    ) -> Result<Result<bool, PhotoProblem>, CrmError> {
        let kind = match sniff(&bytes) {
            Ok(kind) => kind,
            Err(problem) => return Ok(Err(problem)),
        };
        // An unknown order gets no object in R2.
        self.store.order(order).await?.ok_or(CrmError::NotFound(Record::Order))?;
        let photo = Self::keep_photo(photos, order, "bouquet", kind, bytes).await?;
        let change = self.store.attach_photo(order, &photo, actor).await?.ok_or(CrmError::NotFound(Record::Order))?;
        enqueue_jobs(self.queue, &change.jobs).await;
        Ok(Ok(change.changed))
    }

    /// The bytes and content type of the order's bouquet photo (or, with `handover`, the
    /// courier's), `None` when it has none.
    pub async fn order_photo<P: PhotoStore>(
        &self,
        photos: &P,
        order: &CrmId,
        handover: bool,
    ) -> Result<Option<(Vec<u8>, String)>, CrmError> {
        let view = self.store.order(order).await?.ok_or(CrmError::NotFound(Record::Order))?;
        let photo = if handover { view.handover_photo } else { view.bouquet_photo };
        let Some(photo) = photo else { return Ok(None) };
        Ok(photos.get(&photo.key).await?.map(|bytes| (bytes, photo.content_type)))
    }

    /// The accounts and their newest changes, for the owner's page.
    pub async fn staff_page(
        &self,
        window: std::time::Duration,
    ) -> Result<(Vec<crate::domain::views::StaffAccount>, Vec<crate::domain::views::StaffChangeEntry>), CrmError> {
        Ok((self.store.staff_list(window).await?, self.store.staff_changes(STAFF_CHANGES_SHOWN).await?))
    }

    /// One change to the accounts (`staff` is `None` for an added account).
    pub async fn change_staff(
        &self,
        staff: Option<&CrmId>,
        change: &AccountChange,
        actor: &Actor,
    ) -> Result<AccountOutcome, CrmError> {
        Ok(self.store.change_staff(staff, change, actor).await?)
    }
}

impl<S: CrmStore + JobStore + ReconcileStore + TeamStore, Q: JobQueue, G: BitrixGateway> Crm<'_, S, Q, G> {
    /// The order's tracking link: made with `token` (32 random bytes the edge drew), or the live
    /// one; its job writes it to Bitrix.
    pub async fn make_track_link(&self, order: &CrmId, token: &str, actor: &Actor) -> Result<TrackLinkMade, CrmError> {
        let made = self.store.make_track_link(order, token, actor).await?.ok_or(CrmError::NotFound(Record::Order))?;
        enqueue_jobs(self.queue, &made.jobs).await;
        Ok(made)
    }

    /// Revokes the order's tracking link; its job clears it in Bitrix.
    pub async fn revoke_track_link(&self, order: &CrmId, actor: &Actor) -> Result<bool, CrmError> {
        let revoked = self.store.revoke_track_link(order, actor).await?.ok_or(CrmError::NotFound(Record::Order))?;
        enqueue_jobs(self.queue, &revoked.jobs).await;
        Ok(revoked.revoked)
    }
}

/// How many of the newest account changes the owner's page lists.
pub const STAFF_CHANGES_SHOWN: u32 = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_account_needs_a_plain_login_a_name_and_a_known_role_and_says_every_problem_at_once() {
        let ok = parse_new_account(Some(" Courier.1 "), Some(" Данияр "), Some("courier")).unwrap();
        assert_eq!(ok, NewAccount { login: "courier.1".into(), name: "Данияр".into(), role: Role::Courier });
        let problems = parse_new_account(Some("курьер"), Some(" "), Some("boss")).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["login", "name", "role"]);
        assert!(parse_new_account(Some(&"a".repeat(65)), Some("A"), Some("owner")).is_err());
    }

    #[test]
    fn an_account_action_is_one_the_page_offers_and_a_role_change_names_a_role() {
        assert_eq!(parse_account_action(Some("unlock"), None), Ok(AccountAction::Unlock));
        assert_eq!(parse_account_action(Some("role"), Some("florist")), Ok(AccountAction::Role(Role::Florist)));
        assert_eq!(parse_account_action(Some("role"), Some("god")).unwrap_err().field, "role");
        assert_eq!(parse_account_action(Some("drop"), None).unwrap_err().field, "action");
    }

    #[test]
    fn a_courier_picks_up_an_order_still_in_the_shop_and_delivers_one_in_the_shop_or_on_the_way() {
        assert!(step_fits(CourierStep::Picked, CrmStatus::Accepted));
        assert!(!step_fits(CourierStep::Picked, CrmStatus::Delivering));
        assert!(step_fits(CourierStep::Delivered, CrmStatus::Delivering));
        assert!(!step_fits(CourierStep::Delivered, CrmStatus::Completed));
        assert!(!step_fits(CourierStep::Picked, CrmStatus::Declined));
        assert_eq!(CourierStep::Delivered.status(), CrmStatus::Completed);
    }

    #[test]
    fn an_account_change_is_sent_to_the_store_tagged_by_its_action() {
        let sent = serde_json::to_value(AccountChange::Role { role: Role::Manager }).unwrap();
        assert_eq!(sent, serde_json::json!({"action": "role", "role": "manager"}));
        let outcome: AccountOutcome = serde_json::from_value(serde_json::json!({"outcome": "login_taken"})).unwrap();
        assert_eq!(outcome, AccountOutcome::LoginTaken);
    }
}
