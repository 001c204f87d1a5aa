//! Which roles may take each staff page: one rule per route, matched without a catch-all, so a
//! new route does not compile until it has its rule. What a `Who` admits is `domain::roles`.

use crate::domain::roles::Who;
use crate::web::routes::PageRoute;

/// The rule of a page route.
#[must_use]
pub fn rule(route: &PageRoute) -> Who {
    match route {
        PageRoute::Login | PageRoute::LoginSubmit | PageRoute::Logout => Who::Anyone,
        // The shop's day: the board, the cards, the tickets, the statuses and the stock.
        PageRoute::Board
        | PageRoute::Order(_)
        | PageRoute::SetOrderStatus(_)
        | PageRoute::PrintOrder(_)
        | PageRoute::Products
        | PageRoute::Product(_)
        | PageRoute::SetAvailability(_)
        | PageRoute::AttachPhoto(_)
        | PageRoute::Photo(_) => Who::Shop,
        // Money, new orders, couriers, sync and exports.
        PageRoute::Orders
        | PageRoute::NewOrder
        | PageRoute::CreateOrder
        | PageRoute::LoadCatalog
        | PageRoute::Sync
        | PageRoute::ReplayAllDeadLetters
        | PageRoute::ReplayDeadLetter(_)
        | PageRoute::Reconcile
        | PageRoute::Reports
        | PageRoute::ExportOrders
        | PageRoute::ExportReport
        | PageRoute::AssignCourier(_)
        | PageRoute::AssignSlotCourier
        | PageRoute::EditOrder(_)
        | PageRoute::UpdateOrder(_)
        | PageRoute::HandoverPhoto(_)
        | PageRoute::MakeTrackLink(_)
        | PageRoute::RevokeTrackLink(_) => Who::Office,
        PageRoute::Staff | PageRoute::AddStaff | PageRoute::ChangeStaff(_) => Who::Owner,
        PageRoute::MyDeliveries | PageRoute::Picked(_) | PageRoute::Delivered(_) => Who::Courier,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::ids::test_id;
    use crate::domain::roles::{Role, ALL_ROLES};

    /// Every page route, once.
    pub fn every_page_route() -> Vec<PageRoute> {
        let id = test_id(1);
        vec![
            PageRoute::Login,
            PageRoute::LoginSubmit,
            PageRoute::Logout,
            PageRoute::Board,
            PageRoute::Orders,
            PageRoute::NewOrder,
            PageRoute::CreateOrder,
            PageRoute::Order(id.clone()),
            PageRoute::SetOrderStatus(id.clone()),
            PageRoute::PrintOrder(id.clone()),
            PageRoute::Products,
            PageRoute::Product(id.clone()),
            PageRoute::SetAvailability(id.clone()),
            PageRoute::LoadCatalog,
            PageRoute::Sync,
            PageRoute::ReplayAllDeadLetters,
            PageRoute::ReplayDeadLetter(id.clone()),
            PageRoute::Reconcile,
            PageRoute::Reports,
            PageRoute::ExportOrders,
            PageRoute::ExportReport,
            PageRoute::AssignCourier(id.clone()),
            PageRoute::AssignSlotCourier,
            PageRoute::MyDeliveries,
            PageRoute::Picked(id.clone()),
            PageRoute::Delivered(id.clone()),
            PageRoute::Staff,
            PageRoute::AddStaff,
            PageRoute::AttachPhoto(id.clone()),
            PageRoute::Photo(id.clone()),
            PageRoute::EditOrder(id.clone()),
            PageRoute::HandoverPhoto(id.clone()),
            PageRoute::MakeTrackLink(id.clone()),
            PageRoute::RevokeTrackLink(id.clone()),
            PageRoute::UpdateOrder(id.clone()),
            PageRoute::ChangeStaff(id),
        ]
    }

    /// The routes each role may take, written out role by role as the issue states them.
    fn expected(role: Role, route: &PageRoute) -> bool {
        use PageRoute as P;
        let anyone = matches!(route, P::Login | P::LoginSubmit | P::Logout);
        let shop_day = matches!(
            route,
            P::Board
                | P::Order(_)
                | P::SetOrderStatus(_)
                | P::PrintOrder(_)
                | P::Products
                | P::Product(_)
                | P::SetAvailability(_)
                | P::AttachPhoto(_)
                | P::Photo(_)
        );
        let courier_own = matches!(route, P::MyDeliveries | P::Picked(_) | P::Delivered(_));
        let accounts = matches!(route, P::Staff | P::AddStaff | P::ChangeStaff(_));
        anyone
            || match role {
                Role::Owner => !courier_own,
                Role::Manager => !courier_own && !accounts,
                Role::Florist => shop_day,
                Role::Courier => courier_own,
            }
    }

    #[test]
    fn every_route_times_every_role_is_allowed_exactly_as_the_roles_are_described() {
        for route in every_page_route() {
            for role in ALL_ROLES {
                assert_eq!(rule(&route).admits(role), expected(role, &route), "{role:?} on {route:?}");
            }
        }
    }

    #[test]
    fn a_courier_may_open_no_page_that_shows_money_or_other_deliveries() {
        for route in [PageRoute::Board, PageRoute::Orders, PageRoute::Reports, PageRoute::Order(test_id(2))] {
            assert!(!rule(&route).admits(Role::Courier), "{route:?}");
        }
    }
}
