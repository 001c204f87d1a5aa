//! The Worker's route table: a request's method and path parsed once into a [`Route`], which
//! the edge matches exhaustively. A path names one route or none; a record id in a path is
//! parsed here, so a handler never sees text where it expects an id.

use crate::domain::ids::{CrmId, JobId, Record};

/// The HTTP methods the routes tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Other,
}

impl Method {
    /// Reads a method name (`GET`, `post`, …).
    #[must_use]
    pub fn parse(name: &str) -> Method {
        match name.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

/// A CRM API route (`/api/...`, behind `CRM_API_TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiRoute {
    /// `GET /api/orders`
    ListOrders,
    /// `POST /api/orders`
    CreateOrder,
    /// `GET /api/orders/{id}`
    Order(CrmId),
    /// `PATCH /api/orders/{id}/status`
    SetOrderStatus(CrmId),
    /// `GET /api/products`
    ListProducts,
    /// `GET /api/products/{id}`
    Product(CrmId),
    /// `POST /api/products/{id}/set-available` (`true`) and `/set-unavailable` (`false`)
    SetAvailability(CrmId, bool),
    /// `GET /api/sync/status`
    SyncStatus,
    /// `GET /api/sync/dead-letters`
    DeadLetters,
    /// `POST /api/sync/dead-letters/replay`
    ReplayAllDeadLetters,
    /// `POST /api/sync/dead-letters/{id}/replay`
    ReplayDeadLetter(JobId),
    /// `POST /api/sync/run`
    RunSweep,
    /// `POST /api/ops/delivery-risk/run`
    RunDeliveryRisk,
    /// `POST /api/ops/daily-summary/run`
    RunDailySummary,
    /// `POST /api/ops/reconcile/run?from=&to=`
    RunReconcile,
    /// `POST /api/ops/reference/run`
    RunReferenceRefresh,
    /// `POST /api/ops/catalog/run`
    RunCatalogLoad,
    /// `GET /api/reports/daily?from=&to=`
    DailyReport,
}

/// A staff page (`/crm/...`). Every one but the login needs a session; every change is a POST
/// from our own origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRoute {
    /// `GET /crm/login`
    Login,
    /// `POST /crm/login`
    LoginSubmit,
    /// `POST /crm/logout`
    Logout,
    /// `GET /crm`: the day board.
    Board,
    /// `GET /crm/orders`
    Orders,
    /// `GET /crm/orders/new`
    NewOrder,
    /// `POST /crm/orders/new`
    CreateOrder,
    /// `GET /crm/orders/{id}`
    Order(CrmId),
    /// `POST /crm/orders/{id}/status`
    SetOrderStatus(CrmId),
    /// `GET /crm/orders/{id}/print`
    PrintOrder(CrmId),
    /// `GET /crm/products`
    Products,
    /// `GET /crm/products/{id}`
    Product(CrmId),
    /// `POST /crm/products/{id}/availability`
    SetAvailability(CrmId),
    /// `POST /crm/products/load`: the catalogue from Bitrix now.
    LoadCatalog,
    /// `GET /crm/sync`
    Sync,
    /// `POST /crm/sync/dead-letters/replay`
    ReplayAllDeadLetters,
    /// `POST /crm/sync/dead-letters/{id}/replay`
    ReplayDeadLetter(JobId),
    /// `POST /crm/sync/reconcile`
    Reconcile,
    /// `GET /crm/reports`
    Reports,
    /// `GET /crm/orders/export`: the orders list with its filters, as CSV.
    ExportOrders,
    /// `GET /crm/reports/export`: the report of a period, as CSV.
    ExportReport,
    /// `POST /crm/orders/{id}/courier`: assign (or take off) the order's courier.
    AssignCourier(CrmId),
    /// `POST /crm/board/courier`: one courier for a whole slot of a day.
    AssignSlotCourier,
    /// `GET /crm/my`: the courier's deliveries of the day.
    MyDeliveries,
    /// `POST /crm/my/{id}/picked`: the courier took the order (→ «Доставляется»).
    Picked(CrmId),
    /// `POST /crm/my/{id}/delivered`: the courier handed it over (→ «Доставлен»).
    Delivered(CrmId),
    /// `GET /crm/staff`: the staff accounts.
    Staff,
    /// `POST /crm/staff`: a new account.
    AddStaff,
    /// `POST /crm/staff/{id}`: disable, enable, reset the password, unlock, change the role.
    ChangeStaff(CrmId),
    /// `POST /crm/orders/{id}/photo`: «Собран» with the bouquet's photo (`multipart/form-data`).
    AttachPhoto(CrmId),
    /// `GET /crm/orders/{id}/photo`: the bouquet's photo, to a session only.
    Photo(CrmId),
    /// `GET /crm/orders/{id}/handover-photo`: the courier's photo of the handover.
    HandoverPhoto(CrmId),
    /// `GET /crm/orders/{id}/edit`: the edit form.
    EditOrder(CrmId),
    /// `POST /crm/orders/{id}/edit`: the edit, sent on to Bitrix.
    UpdateOrder(CrmId),
    /// `POST /crm/orders/{id}/track`: the buyer's tracking link (made, or the live one).
    MakeTrackLink(CrmId),
    /// `POST /crm/orders/{id}/track/revoke`: the link stops working.
    RevokeTrackLink(CrmId),
}

impl PageRoute {
    /// True for the routes that change something (POST).
    #[must_use]
    pub fn is_change(&self) -> bool {
        matches!(
            self,
            PageRoute::LoginSubmit
                | PageRoute::Logout
                | PageRoute::CreateOrder
                | PageRoute::SetOrderStatus(_)
                | PageRoute::SetAvailability(_)
                | PageRoute::LoadCatalog
                | PageRoute::ReplayAllDeadLetters
                | PageRoute::ReplayDeadLetter(_)
                | PageRoute::Reconcile
                | PageRoute::AssignCourier(_)
                | PageRoute::AssignSlotCourier
                | PageRoute::Picked(_)
                | PageRoute::Delivered(_)
                | PageRoute::AddStaff
                | PageRoute::ChangeStaff(_)
                | PageRoute::AttachPhoto(_)
                | PageRoute::UpdateOrder(_)
                | PageRoute::MakeTrackLink(_)
                | PageRoute::RevokeTrackLink(_)
        )
    }
}

fn page_only(method: Method, allowed: &[(Method, PageRoute)], allow: &'static str) -> Result<PageRoute, Miss> {
    allowed
        .iter()
        .find(|(m, _)| *m == method || (*m == Method::Get && method == Method::Head))
        .map(|(_, route)| route.clone())
        .ok_or(Miss::MethodNotAllowed { allow })
}

fn page(method: Method, segments: &[&str]) -> Result<PageRoute, Miss> {
    use Method::{Get, Post};
    match segments {
        [] => page_only(method, &[(Get, PageRoute::Board)], "GET"),
        ["login"] => page_only(method, &[(Get, PageRoute::Login), (Post, PageRoute::LoginSubmit)], "GET, POST"),
        ["logout"] => page_only(method, &[(Post, PageRoute::Logout)], "POST"),
        ["orders"] => page_only(method, &[(Get, PageRoute::Orders)], "GET"),
        ["orders", "new"] => {
            page_only(method, &[(Get, PageRoute::NewOrder), (Post, PageRoute::CreateOrder)], "GET, POST")
        }
        ["orders", "export"] => page_only(method, &[(Get, PageRoute::ExportOrders)], "GET"),
        ["orders", order] => page_only(method, &[(Get, PageRoute::Order(id(order, Record::Order)?))], "GET"),
        ["orders", order, "photo"] => {
            let order = id(order, Record::Order)?;
            page_only(
                method,
                &[(Get, PageRoute::Photo(order.clone())), (Post, PageRoute::AttachPhoto(order))],
                "GET, POST",
            )
        }
        ["orders", order, "track"] => {
            page_only(method, &[(Post, PageRoute::MakeTrackLink(id(order, Record::Order)?))], "POST")
        }
        ["orders", order, "track", "revoke"] => {
            page_only(method, &[(Post, PageRoute::RevokeTrackLink(id(order, Record::Order)?))], "POST")
        }
        ["orders", order, "handover-photo"] => {
            page_only(method, &[(Get, PageRoute::HandoverPhoto(id(order, Record::Order)?))], "GET")
        }
        ["orders", order, "edit"] => {
            let order = id(order, Record::Order)?;
            page_only(
                method,
                &[(Get, PageRoute::EditOrder(order.clone())), (Post, PageRoute::UpdateOrder(order))],
                "GET, POST",
            )
        }
        ["orders", order, "courier"] => {
            page_only(method, &[(Post, PageRoute::AssignCourier(id(order, Record::Order)?))], "POST")
        }
        ["board", "courier"] => page_only(method, &[(Post, PageRoute::AssignSlotCourier)], "POST"),
        ["my"] => page_only(method, &[(Get, PageRoute::MyDeliveries)], "GET"),
        ["my", order, "picked"] => page_only(method, &[(Post, PageRoute::Picked(id(order, Record::Order)?))], "POST"),
        ["my", order, "delivered"] => {
            page_only(method, &[(Post, PageRoute::Delivered(id(order, Record::Order)?))], "POST")
        }
        ["staff"] => page_only(method, &[(Get, PageRoute::Staff), (Post, PageRoute::AddStaff)], "GET, POST"),
        ["staff", member] => page_only(method, &[(Post, PageRoute::ChangeStaff(id(member, Record::Staff)?))], "POST"),
        ["orders", order, "status"] => {
            page_only(method, &[(Post, PageRoute::SetOrderStatus(id(order, Record::Order)?))], "POST")
        }
        ["orders", order, "print"] => {
            page_only(method, &[(Get, PageRoute::PrintOrder(id(order, Record::Order)?))], "GET")
        }
        ["products"] => page_only(method, &[(Get, PageRoute::Products)], "GET"),
        ["products", "load"] => page_only(method, &[(Post, PageRoute::LoadCatalog)], "POST"),
        ["products", product] => page_only(method, &[(Get, PageRoute::Product(id(product, Record::Product)?))], "GET"),
        ["products", product, "availability"] => {
            page_only(method, &[(Post, PageRoute::SetAvailability(id(product, Record::Product)?))], "POST")
        }
        ["sync"] => page_only(method, &[(Get, PageRoute::Sync)], "GET"),
        ["reports"] => page_only(method, &[(Get, PageRoute::Reports)], "GET"),
        ["reports", "export"] => page_only(method, &[(Get, PageRoute::ExportReport)], "GET"),
        ["sync", "dead-letters", "replay"] => page_only(method, &[(Post, PageRoute::ReplayAllDeadLetters)], "POST"),
        ["sync", "reconcile"] => page_only(method, &[(Post, PageRoute::Reconcile)], "POST"),
        ["sync", "dead-letters", job, "replay"] => {
            page_only(method, &[(Post, PageRoute::ReplayDeadLetter(id(job, Record::Job)?))], "POST")
        }
        _ => Err(Miss::NotFound),
    }
}

/// Why a path names no route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// No route has this path.
    NotFound,
    /// The path is a route, but not for this method; `allow` lists the methods it takes.
    MethodNotAllowed { allow: &'static str },
    /// The path's id segment is not an id, so it names no record.
    NoSuchRecord(Record),
}

/// The staff's home: the day board, where `/` sends people.
pub const STAFF_HOME: &str = "/crm";

/// Every route of the Worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /`: a redirect to [`STAFF_HOME`], as the old system had it.
    Home,
    /// `GET /health`
    Health,
    /// `POST /webhooks/bitrix/order`
    BitrixOrderWebhook,
    /// `POST /webhooks/bitrix/outbox`: the kit's agent reports its own outbox.
    BitrixOutboxReport,
    /// Under `/api/`: the CRM token is checked before the route or its miss is answered, so a
    /// caller without it learns nothing about which paths exist.
    Api(Result<ApiRoute, Miss>),
    /// Under `/crm`: a staff page, or why there is none (answered after the session check).
    Page(Result<PageRoute, Miss>),
    /// `GET /t/{token}`: the buyer's tracking page. The token is kept as sent: the edge reads it
    /// (after the rate limit), so that every miss answers the same 404.
    Track(String),
    /// `GET /t/{token}/photo`: the bouquet's photo on that page.
    TrackPhoto(String),
    /// Any other path.
    Unknown(Miss),
}

/// `Ok(route)` when `method` is one of `allowed` (given with the route it gives), else the miss.
fn only(method: Method, allowed: &[(Method, ApiRoute)], allow: &'static str) -> Result<ApiRoute, Miss> {
    allowed.iter().find(|(m, _)| *m == method).map(|(_, route)| route.clone()).ok_or(Miss::MethodNotAllowed { allow })
}

fn id(segment: &str, record: Record) -> Result<CrmId, Miss> {
    CrmId::parse(segment).map_err(|_| Miss::NoSuchRecord(record))
}

fn api(method: Method, segments: &[&str]) -> Result<ApiRoute, Miss> {
    use Method::{Get, Patch, Post};
    match segments {
        ["orders"] => only(method, &[(Get, ApiRoute::ListOrders), (Post, ApiRoute::CreateOrder)], "GET, POST"),
        ["orders", order] => only(method, &[(Get, ApiRoute::Order(id(order, Record::Order)?))], "GET"),
        ["orders", order, "status"] => {
            only(method, &[(Patch, ApiRoute::SetOrderStatus(id(order, Record::Order)?))], "PATCH")
        }
        ["products"] => only(method, &[(Get, ApiRoute::ListProducts)], "GET"),
        ["products", product] => only(method, &[(Get, ApiRoute::Product(id(product, Record::Product)?))], "GET"),
        ["products", product, action @ ("set-available" | "set-unavailable")] => {
            let route = ApiRoute::SetAvailability(id(product, Record::Product)?, *action == "set-available");
            only(method, &[(Post, route)], "POST")
        }
        ["sync", "status"] => only(method, &[(Get, ApiRoute::SyncStatus)], "GET"),
        ["sync", "dead-letters"] => only(method, &[(Get, ApiRoute::DeadLetters)], "GET"),
        ["sync", "dead-letters", "replay"] => only(method, &[(Post, ApiRoute::ReplayAllDeadLetters)], "POST"),
        ["sync", "dead-letters", job, "replay"] => {
            only(method, &[(Post, ApiRoute::ReplayDeadLetter(id(job, Record::Job)?))], "POST")
        }
        ["sync", "run"] => only(method, &[(Post, ApiRoute::RunSweep)], "POST"),
        ["ops", "delivery-risk", "run"] => only(method, &[(Post, ApiRoute::RunDeliveryRisk)], "POST"),
        ["ops", "daily-summary", "run"] => only(method, &[(Post, ApiRoute::RunDailySummary)], "POST"),
        ["ops", "reconcile", "run"] => only(method, &[(Post, ApiRoute::RunReconcile)], "POST"),
        ["ops", "reference", "run"] => only(method, &[(Post, ApiRoute::RunReferenceRefresh)], "POST"),
        ["ops", "catalog", "run"] => only(method, &[(Post, ApiRoute::RunCatalogLoad)], "POST"),
        ["reports", "daily"] => only(method, &[(Get, ApiRoute::DailyReport)], "GET"),
        _ => Err(Miss::NotFound),
    }
}

/// Parses a request's method and path (without its query) into its route.
#[must_use]
pub fn route(method: Method, path: &str) -> Route {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [] => match method {
            Method::Get | Method::Head => Route::Home,
            _ => Route::Unknown(Miss::MethodNotAllowed { allow: "GET" }),
        },
        ["health"] => match method {
            Method::Get | Method::Head => Route::Health,
            _ => Route::Unknown(Miss::MethodNotAllowed { allow: "GET" }),
        },
        ["webhooks", "bitrix", "order"] => match method {
            Method::Post => Route::BitrixOrderWebhook,
            _ => Route::Unknown(Miss::MethodNotAllowed { allow: "POST" }),
        },
        ["webhooks", "bitrix", "outbox"] => match method {
            Method::Post => Route::BitrixOutboxReport,
            _ => Route::Unknown(Miss::MethodNotAllowed { allow: "POST" }),
        },
        ["api", rest @ ..] => Route::Api(api(method, rest)),
        ["crm", rest @ ..] => Route::Page(page(method, rest)),
        ["t", token] => match method {
            Method::Get | Method::Head => Route::Track((*token).to_owned()),
            _ => Route::Unknown(Miss::MethodNotAllowed { allow: "GET" }),
        },
        ["t", token, "photo"] => match method {
            Method::Get | Method::Head => Route::TrackPhoto((*token).to_owned()),
            _ => Route::Unknown(Miss::MethodNotAllowed { allow: "GET" }),
        },
        _ => Route::Unknown(Miss::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = "0b6f3c1e-0000-4000-8000-000000000001";

    fn order() -> CrmId {
        CrmId::parse(ORDER).unwrap()
    }

    #[test]
    fn every_route_is_parsed_from_its_method_and_path() {
        let table = [
            (Method::Get, "/health".to_owned(), Route::Health),
            (Method::Post, "/webhooks/bitrix/order".to_owned(), Route::BitrixOrderWebhook),
            (Method::Post, "/webhooks/bitrix/outbox".to_owned(), Route::BitrixOutboxReport),
            (Method::Get, "/api/orders".to_owned(), Route::Api(Ok(ApiRoute::ListOrders))),
            (Method::Post, "/api/orders/".to_owned(), Route::Api(Ok(ApiRoute::CreateOrder))),
            (Method::Get, format!("/api/orders/{ORDER}"), Route::Api(Ok(ApiRoute::Order(order())))),
            (Method::Patch, format!("/api/orders/{ORDER}/status"), Route::Api(Ok(ApiRoute::SetOrderStatus(order())))),
            (Method::Get, "/api/products".to_owned(), Route::Api(Ok(ApiRoute::ListProducts))),
            (Method::Get, format!("/api/products/{ORDER}"), Route::Api(Ok(ApiRoute::Product(order())))),
            (
                Method::Post,
                format!("/api/products/{ORDER}/set-available"),
                Route::Api(Ok(ApiRoute::SetAvailability(order(), true))),
            ),
            (
                Method::Post,
                format!("/api/products/{ORDER}/set-unavailable"),
                Route::Api(Ok(ApiRoute::SetAvailability(order(), false))),
            ),
            (Method::Get, "/api/sync/status".to_owned(), Route::Api(Ok(ApiRoute::SyncStatus))),
            (Method::Get, "/api/sync/dead-letters".to_owned(), Route::Api(Ok(ApiRoute::DeadLetters))),
            (Method::Post, "/api/sync/dead-letters/replay".to_owned(), Route::Api(Ok(ApiRoute::ReplayAllDeadLetters))),
            (
                Method::Post,
                format!("/api/sync/dead-letters/{ORDER}/replay"),
                Route::Api(Ok(ApiRoute::ReplayDeadLetter(order()))),
            ),
            (Method::Post, "/api/sync/run".to_owned(), Route::Api(Ok(ApiRoute::RunSweep))),
            (Method::Post, "/api/ops/delivery-risk/run".to_owned(), Route::Api(Ok(ApiRoute::RunDeliveryRisk))),
            (Method::Post, "/api/ops/daily-summary/run".to_owned(), Route::Api(Ok(ApiRoute::RunDailySummary))),
            (Method::Post, "/api/ops/reconcile/run".to_owned(), Route::Api(Ok(ApiRoute::RunReconcile))),
            (Method::Get, "/api/reports/daily".to_owned(), Route::Api(Ok(ApiRoute::DailyReport))),
        ];
        for (method, path, expected) in table {
            assert_eq!(route(method, &path), expected, "{method:?} {path}");
        }
    }

    #[test]
    fn a_known_path_with_another_method_is_refused_naming_the_methods_it_takes() {
        assert_eq!(
            route(Method::Delete, "/api/orders"),
            Route::Api(Err(Miss::MethodNotAllowed { allow: "GET, POST" }))
        );
        assert_eq!(
            route(Method::Get, &format!("/api/products/{ORDER}/set-available")),
            Route::Api(Err(Miss::MethodNotAllowed { allow: "POST" }))
        );
        assert_eq!(
            route(Method::Get, "/webhooks/bitrix/order"),
            Route::Unknown(Miss::MethodNotAllowed { allow: "POST" })
        );
        assert_eq!(route(Method::Post, "/health"), Route::Unknown(Miss::MethodNotAllowed { allow: "GET" }));
    }

    #[test]
    fn a_third_products_segment_other_than_the_two_actions_is_no_route() {
        for action in ["set-availabl", "delete", "set-available-now"] {
            let path = format!("/api/products/{ORDER}/{action}");
            assert_eq!(route(Method::Post, &path), Route::Api(Err(Miss::NotFound)), "{path}");
        }
    }

    #[test]
    fn a_path_that_is_no_route_is_never_taken_for_another() {
        for path in ["/api/sync", "/api/sync/runs", "/api/orders/x/y/z", "/api", "/api/sync/dead-letters/x/y"] {
            assert_eq!(route(Method::Post, path), Route::Api(Err(Miss::NotFound)), "{path}");
        }
        assert_eq!(route(Method::Get, "/nope"), Route::Unknown(Miss::NotFound));
    }

    #[test]
    fn a_tracking_path_keeps_its_token_as_sent_for_the_edge_to_read() {
        assert_eq!(route(Method::Get, "/t/abc"), Route::Track("abc".into()));
        assert_eq!(route(Method::Head, "/t/abc/photo"), Route::TrackPhoto("abc".into()));
        assert_eq!(route(Method::Post, "/t/abc"), Route::Unknown(Miss::MethodNotAllowed { allow: "GET" }));
        assert_eq!(route(Method::Get, "/t"), Route::Unknown(Miss::NotFound));
    }

    #[test]
    fn the_root_is_the_way_home_for_a_get_and_nothing_else() {
        assert_eq!(route(Method::Get, "/"), Route::Home);
        assert_eq!(route(Method::Head, ""), Route::Home);
        assert_eq!(route(Method::Post, "/"), Route::Unknown(Miss::MethodNotAllowed { allow: "GET" }));
    }

    #[test]
    fn an_id_segment_that_is_not_an_id_names_no_record() {
        assert_eq!(route(Method::Get, "/api/orders/122183"), Route::Api(Err(Miss::NoSuchRecord(Record::Order))));
        assert_eq!(
            route(Method::Post, "/api/products/abc/set-available"),
            Route::Api(Err(Miss::NoSuchRecord(Record::Product)))
        );
        assert_eq!(
            route(Method::Post, "/api/sync/dead-letters/abc/replay"),
            Route::Api(Err(Miss::NoSuchRecord(Record::Job)))
        );
    }

    #[test]
    fn every_page_is_parsed_from_its_method_and_path_and_new_is_not_an_order() {
        let table = [
            (Method::Get, "/crm".to_owned(), PageRoute::Board),
            (Method::Get, "/crm/".to_owned(), PageRoute::Board),
            (Method::Get, "/crm/login".to_owned(), PageRoute::Login),
            (Method::Post, "/crm/login".to_owned(), PageRoute::LoginSubmit),
            (Method::Post, "/crm/logout".to_owned(), PageRoute::Logout),
            (Method::Get, "/crm/orders".to_owned(), PageRoute::Orders),
            (Method::Get, "/crm/orders/new".to_owned(), PageRoute::NewOrder),
            (Method::Post, "/crm/orders/new".to_owned(), PageRoute::CreateOrder),
            (Method::Get, format!("/crm/orders/{ORDER}"), PageRoute::Order(order())),
            (Method::Post, format!("/crm/orders/{ORDER}/status"), PageRoute::SetOrderStatus(order())),
            (Method::Get, format!("/crm/orders/{ORDER}/print"), PageRoute::PrintOrder(order())),
            (Method::Get, "/crm/products".to_owned(), PageRoute::Products),
            (Method::Get, format!("/crm/products/{ORDER}"), PageRoute::Product(order())),
            (Method::Post, format!("/crm/products/{ORDER}/availability"), PageRoute::SetAvailability(order())),
            (Method::Get, "/crm/sync".to_owned(), PageRoute::Sync),
            (Method::Post, "/crm/sync/dead-letters/replay".to_owned(), PageRoute::ReplayAllDeadLetters),
            (Method::Post, format!("/crm/sync/dead-letters/{ORDER}/replay"), PageRoute::ReplayDeadLetter(order())),
            (Method::Post, "/crm/sync/reconcile".to_owned(), PageRoute::Reconcile),
            (Method::Get, "/crm/reports".to_owned(), PageRoute::Reports),
            (Method::Get, "/crm/orders/export".to_owned(), PageRoute::ExportOrders),
            (Method::Get, "/crm/reports/export".to_owned(), PageRoute::ExportReport),
            (Method::Post, format!("/crm/orders/{ORDER}/courier"), PageRoute::AssignCourier(order())),
            (Method::Post, "/crm/board/courier".to_owned(), PageRoute::AssignSlotCourier),
            (Method::Get, "/crm/my".to_owned(), PageRoute::MyDeliveries),
            (Method::Post, format!("/crm/my/{ORDER}/picked"), PageRoute::Picked(order())),
            (Method::Post, format!("/crm/my/{ORDER}/delivered"), PageRoute::Delivered(order())),
            (Method::Get, "/crm/staff".to_owned(), PageRoute::Staff),
            (Method::Post, "/crm/staff".to_owned(), PageRoute::AddStaff),
            (Method::Post, format!("/crm/staff/{ORDER}"), PageRoute::ChangeStaff(order())),
            (Method::Post, format!("/crm/orders/{ORDER}/photo"), PageRoute::AttachPhoto(order())),
            (Method::Get, format!("/crm/orders/{ORDER}/photo"), PageRoute::Photo(order())),
            (Method::Get, format!("/crm/orders/{ORDER}/edit"), PageRoute::EditOrder(order())),
            (Method::Get, format!("/crm/orders/{ORDER}/handover-photo"), PageRoute::HandoverPhoto(order())),
            (Method::Post, format!("/crm/orders/{ORDER}/edit"), PageRoute::UpdateOrder(order())),
            (Method::Post, format!("/crm/orders/{ORDER}/track"), PageRoute::MakeTrackLink(order())),
            (Method::Post, format!("/crm/orders/{ORDER}/track/revoke"), PageRoute::RevokeTrackLink(order())),
        ];
        for (method, path, expected) in table {
            assert_eq!(route(method, &path), Route::Page(Ok(expected.clone())), "{method:?} {path}");
            assert_eq!(expected.is_change(), method == Method::Post, "{path}");
        }
    }

    #[test]
    fn nothing_on_the_pages_changes_on_get() {
        for path in ["/crm/logout", "/crm/sync/dead-letters/replay", &format!("/crm/orders/{ORDER}/status")] {
            assert!(matches!(route(Method::Get, path), Route::Page(Err(Miss::MethodNotAllowed { .. }))), "{path}");
        }
        assert_eq!(route(Method::Get, "/crm/orders/122183"), Route::Page(Err(Miss::NoSuchRecord(Record::Order))));
        assert_eq!(route(Method::Head, "/crm/orders"), Route::Page(Ok(PageRoute::Orders)));
    }

    #[test]
    fn method_names_are_read_in_any_case() {
        let named = [
            ("GET", Method::Get),
            ("head", Method::Head),
            ("Post", Method::Post),
            ("put", Method::Put),
            ("patch", Method::Patch),
            ("DELETE", Method::Delete),
            ("options", Method::Options),
            ("BREW", Method::Other),
            ("", Method::Other),
        ];
        for (name, method) in named {
            assert_eq!(Method::parse(name), method, "{name}");
        }
    }
}
