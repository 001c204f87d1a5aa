//! `/crm/reports`: orders and revenue per day, as a chart drawn on the server (inline SVG, no
//! charting library) and as a table with the exact sums.

use maud::{html, Markup};

use super::{layout, Chrome};
use crate::app::crm_input::Period;
use crate::domain::decimal::Money;
use crate::domain::views::{Origin, ReportDay};
use crate::web::human;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 70.0;
const BOTTOM: f64 = 30.0;

#[allow(clippy::cast_precision_loss)]
fn tenge(money: Money) -> f64 {
    money.ten_thousandths() as f64 / 10_000.0
}

#[allow(clippy::cast_precision_loss)]
fn position(index: usize) -> f64 {
    index as f64
}

/// The revenue per day as bars, the number of orders written on each.
fn chart(days: &[ReportDay]) -> Markup {
    let most = days.iter().map(|d| tenge(d.revenue)).fold(0.0_f64, f64::max).max(1.0);
    #[allow(clippy::cast_precision_loss)]
    let slot = (WIDTH - LEFT) / days.len().max(1) as f64;
    let plot = HEIGHT - BOTTOM - 10.0;
    let top_label = human::money(Money::parse(&format!("{most:.0}")).unwrap_or_default(), None);
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby="chart-title" {
            title id="chart-title" { "Выручка по дням" }
            line x1=(LEFT) y1="10" x2=(LEFT) y2=(HEIGHT - BOTTOM) class="axis" {}
            line x1=(LEFT) y1=(HEIGHT - BOTTOM) x2=(WIDTH) y2=(HEIGHT - BOTTOM) class="axis" {}
            text x=(LEFT - 6.0) y="18" text-anchor="end" class="label" { (top_label) }
            text x=(LEFT - 6.0) y=(HEIGHT - BOTTOM) text-anchor="end" class="label" { "0" }
            @for (index, day) in days.iter().enumerate() {
                @let height = tenge(day.revenue) / most * plot;
                @let x = LEFT + slot * position(index) + slot * 0.15;
                rect x=(format!("{x:.1}")) y=(format!("{:.1}", HEIGHT - BOTTOM - height)) width=(format!("{:.1}", slot * 0.7))
                     height=(format!("{height:.1}")) class="bar" {
                    title { (human::date(day.day)) ": " (human::money(day.revenue, None)) ", заказов: " (day.orders) }
                }
                @if index % 5 == 0 || index + 1 == days.len() {
                    text x=(format!("{:.1}", x + slot * 0.35)) y=(HEIGHT - 10.0) text-anchor="middle" class="label" {
                        (day.day.format("%d.%m").to_string())
                    }
                }
            }
        }
    }
}

/// The page for `period`.
#[must_use]
pub fn page(chrome: &Chrome, period: Period, days: &[ReportDay]) -> Markup {
    let orders: u64 = days.iter().map(|d| d.orders).sum();
    let revenue_orders: u64 = days.iter().map(|d| d.revenue_orders).sum();
    // `None` past Money's range (a sum no shop reaches, but hostile input can): shown as «—».
    let revenue = days.iter().try_fold(Money::default(), |sum, d| sum.plus(d.revenue));
    let title = format!("Отчёт: {} — {}", human::date(period.from), human::date(period.to));
    let share = |day: &ReportDay, origin: Origin| {
        day.by_source
            .get(&origin)
            .map_or_else(|| "—".to_owned(), |s| format!("{} ({})", human::money(s.revenue, None), s.orders))
    };
    layout(
        chrome,
        &title,
        html! {
            h1 { (title) }
            form class="day" method="get" action="/crm/reports" {
                label for="from" { "С" }
                input id="from" name="from" type="date" value=(period.from.to_string());
                label for="to" { "по" }
                input id="to" name="to" type="date" value=(period.to.to_string());
                button type="submit" { "Показать" }
            }
            p class="summary" {
                "Заказов: " strong { (orders) } ". Выручка: "
                strong { @match revenue { Some(revenue) => (human::money(revenue, None)), None => "—" } } "."
                @if let Some(average) = revenue.and_then(|r| r.divided_by(revenue_orders)) {
                    " Средний чек: " strong { (human::money(average, None)) } "."
                }
            }
            p class="note" { "День заказа — день, когда он оформлен (по времени Алматы). В выручку не входят отклонённые и возвращённые заказы." }
            p {
                a class="button-link" href={ "/crm/reports/export?from=" (period.from) "&to=" (period.to) } {
                    "⬇ Скачать CSV для Excel"
                }
            }
            (chart(days))
            div class="table-scroll" {
            table {
                caption { "По дням" }
                thead {
                    tr {
                        th scope="col" { "День" }
                        th scope="col" { "Заказов" }
                        th scope="col" { "Выручка" }
                        th scope="col" { "Средний чек" }
                        th scope="col" { "Сайт" }
                        th scope="col" { "CRM" }
                    }
                }
                tbody {
                    @for day in days.iter().rev() {
                        tr {
                            th scope="row" { (human::date_with_weekday(day.day)) }
                            td { (day.orders) }
                            td class="money" { (human::money(day.revenue, None)) }
                            td class="money" { @match day.average() { Some(a) => (human::money(a, None)), None => "—" } }
                            td class="money" { (share(day, Origin::Bitrix)) }
                            td class="money" { (share(day, Origin::Crm)) }
                        }
                    }
                }
            }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::pages::tests::staff;
    use crate::web::pages::Section;
    use chrono::NaiveDate;

    fn day(date: &str, orders: u64, revenue: &str) -> ReportDay {
        serde_json::from_value(
            serde_json::json!({"day": date, "orders": orders, "revenue": revenue, "revenue_orders": orders,
            "by_status": {}, "by_source": {"bitrix": {"orders": orders, "revenue": revenue}}}),
        )
        .unwrap()
    }

    #[test]
    fn the_report_draws_a_bar_per_day_scaled_to_the_best_day_and_lists_exact_sums() {
        let staff = staff();
        let chrome = Chrome { staff: Some(&staff), section: Section::Reports, flash: None };
        let period = Period {
            from: NaiveDate::from_ymd_opt(2025, 8, 24).unwrap(),
            to: NaiveDate::from_ymd_opt(2025, 8, 25).unwrap(),
        };
        let days = [day("2025-08-24", 2, "20000.00"), day("2025-08-25", 1, "10000.50")];

        let html = page(&chrome, period, &days).into_string();

        assert!(html.contains("Отчёт: 24.08.2025 — 25.08.2025"));
        assert_eq!(html.matches("<rect").count(), 2);
        assert!(html.contains(r#"height="220.0" class="bar""#), "the best day fills the plot: {html}");
        assert!(html.contains(r#"height="110.0" class="bar""#), "half the revenue, half the height");
        assert!(html.contains("Выручка: <strong>30\u{a0}000,5\u{a0}₸</strong>"));
        assert!(html.contains("Средний чек: <strong>10\u{a0}000,17\u{a0}₸</strong>"));
        assert!(html.contains(r#"role="img" aria-labelledby="chart-title""#));
        assert_eq!(html.matches("<script").count(), 1, "drawn on the server: only the static script");
    }
}
