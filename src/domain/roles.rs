//! The staff's roles and what each may see: the one home of who does what. The pages' routes
//! name a [`Who`] each (`web::access`); this module says which roles a `Who` admits and what
//! money and phones a role sees on the pages it opens.

use serde::{Deserialize, Serialize};

/// A staff member's role (`staff.role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, and the staff accounts.
    Owner,
    /// Everything but the staff accounts.
    Manager,
    /// The day's orders and their tickets, the catalogue's stock; no revenue, no sync.
    Florist,
    /// Their own deliveries of the day, and what to collect; nothing else.
    Courier,
}

/// Every role, in the order the staff page lists them.
pub const ALL_ROLES: [Role; 4] = [Role::Owner, Role::Manager, Role::Florist, Role::Courier];

impl Role {
    /// The name stored in `staff.role` and sent in a form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Florist => "florist",
            Role::Courier => "courier",
        }
    }

    /// Reads a stored or submitted role name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Role> {
        ALL_ROLES.into_iter().find(|role| role.as_str() == name.trim())
    }

    /// What the staff read.
    #[must_use]
    pub fn label_ru(self) -> &'static str {
        match self {
            Role::Owner => "Владелец",
            Role::Manager => "Менеджер",
            Role::Florist => "Флорист",
            Role::Courier => "Курьер",
        }
    }

    /// What this role sees of an order on the pages it may open.
    #[must_use]
    pub fn sight(self) -> Sight {
        match self {
            Role::Owner | Role::Manager => Sight { money: true, buyer: true },
            // The florist calls the recipient when a flower is missing; no money.
            Role::Florist => Sight { money: false, buyer: false },
            // The courier's page shows the recipient's phone and what to collect, nothing more.
            Role::Courier => Sight { money: false, buyer: false },
        }
    }
}

/// What a role sees on an order beyond what its route gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sight {
    /// Prices, totals, payments and revenue (a courier still sees what to collect).
    pub money: bool,
    /// The buyer's own comment and the order's sync history.
    pub buyer: bool,
}

/// Who may take a route: each page route names one (`web::access::rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Anyone, logged in or not (the login form, the logout).
    Anyone,
    /// The shop's people who work on orders in the shop: owner, manager, florist.
    Shop,
    /// Those who run the shop's business: owner and manager (money, sync, new orders, edits).
    Office,
    /// The owner alone (staff accounts).
    Owner,
    /// A courier alone (their own deliveries).
    Courier,
}

impl Who {
    /// True when `role` may take a route of this rule.
    #[must_use]
    pub fn admits(self, role: Role) -> bool {
        match self {
            Who::Anyone => true,
            Who::Shop => matches!(role, Role::Owner | Role::Manager | Role::Florist),
            Who::Office => matches!(role, Role::Owner | Role::Manager),
            Who::Owner => role == Role::Owner,
            Who::Courier => role == Role::Courier,
        }
    }
}

/// Where a role lands after its login and from `/crm`.
#[must_use]
pub fn home(role: Role) -> &'static str {
    match role {
        Role::Courier => "/crm/my",
        Role::Owner | Role::Manager | Role::Florist => "/crm",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_name_reads_back_and_has_a_russian_label() {
        for role in ALL_ROLES {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert!(!role.label_ru().is_empty());
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn each_rule_admits_exactly_its_roles() {
        let admitted = |who: Who| ALL_ROLES.into_iter().filter(|r| who.admits(*r)).collect::<Vec<_>>();
        assert_eq!(admitted(Who::Anyone), ALL_ROLES);
        assert_eq!(admitted(Who::Shop), [Role::Owner, Role::Manager, Role::Florist]);
        assert_eq!(admitted(Who::Office), [Role::Owner, Role::Manager]);
        assert_eq!(admitted(Who::Owner), [Role::Owner]);
        assert_eq!(admitted(Who::Courier), [Role::Courier]);
    }

    #[test]
    fn only_the_owner_and_the_manager_see_money() {
        let sees: Vec<Role> = ALL_ROLES.into_iter().filter(|r| r.sight().money).collect();
        assert_eq!(sees, [Role::Owner, Role::Manager]);
    }

    #[test]
    fn a_courier_starts_on_their_own_page_and_everyone_else_on_the_board() {
        assert_eq!(home(Role::Courier), "/crm/my");
        assert_eq!(home(Role::Florist), "/crm");
    }
}
