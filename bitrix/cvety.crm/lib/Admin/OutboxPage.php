<?php
declare(strict_types=1);

namespace CvetyCrm\Admin;

use CvetyCrm\Backfill\Progress;
use CvetyCrm\Backfill\Resender;
use CvetyCrm\Kit;

/**
 * The outbox page (Магазин → Очередь CRM): what waits, what fails with its last error, what is
 * dead, with «Повторить» and «Пропустить» per dead event; and a backfill by id range or date
 * that moves on a step per page load (the page reloads itself while it runs, no script needed).
 */
final class OutboxPage
{
    /** Orders a step of the backfill puts in the outbox (at 5 a second: about 4 s a page load). */
    public const STEP = 20;

    private Progress $progress;

    public function __construct(private Kit $kit, private int $now)
    {
        $this->progress = new Progress($kit->db);
    }

    /**
     * Carries out a posted action; returns what to tell the administrator.
     *
     * @param array<string, mixed> $post
     */
    public function act(array $post): string
    {
        $id = (int) ($post['id'] ?? 0);
        switch ($post['action'] ?? '') {
            case 'retry':
                return $this->kit->outbox->retry($id, $this->now)
                    ? "Событие $id снова в очереди: агент отправит его в ближайшую минуту."
                    : "Событие $id не остановлено: повторять нечего.";
            case 'skip':
                return $this->kit->outbox->skip($id, $this->now)
                    ? "Событие $id пропущено: CRM его не получит."
                    : "Событие $id не остановлено: пропускать нечего.";
            case 'backfill':
                return $this->startBackfill($post);
        }
        return 'Неизвестное действие.';
    }

    private function startBackfill(array $post): string
    {
        $from = trim((string) ($post['from_id'] ?? ''));
        $to = trim((string) ($post['to_id'] ?? ''));
        $since = trim((string) ($post['since'] ?? ''));
        if ($since !== '') {
            $date = \DateTimeImmutable::createFromFormat('!d.m.Y', $since) ?: \DateTimeImmutable::createFromFormat('!Y-m-d', $since);
            if ($date === false) {
                return 'Дата — в виде 25.08.2025.';
            }
            $this->progress->start(1, null, $date->format('Y-m-d'), $this->now);
            return 'Отправка заказов, изменённых с ' . $date->format('d.m.Y') . ', начата.';
        }
        if (!preg_match('/^[1-9][0-9]{0,9}$/', $from) || ($to !== '' && !preg_match('/^[1-9][0-9]{0,9}$/', $to)) || ($to !== '' && (int) $to < (int) $from)) {
            return 'Укажите номера заказов «с» и «по» (по — не меньше, чем с) или дату.';
        }
        $this->progress->start((int) $from, $to === '' ? null : (int) $to, null, $this->now);
        return "Отправка заказов с $from" . ($to === '' ? '' : " по $to") . ' начата.';
    }

    /** Moves a running backfill on by a step; true while it has more to do. */
    public function step(?callable $sleep = null): bool
    {
        $current = $this->progress->current();
        if ($current === null || $current['finished_at'] !== null) {
            return false;
        }
        $since = $current['since'] === null ? null : new \DateTimeImmutable($current['since'] . ' 00:00', new \DateTimeZone('Asia/Almaty'));
        $resender = new Resender($this->kit->shop, $this->kit->events, $this->progress, 5.0, $sleep, static function (string $line): void {
        });
        $resender->run($current['from_id'], $current['to_id'], $since, self::STEP);
        $after = $this->progress->current();
        return $after !== null && $after['finished_at'] === null;
    }

    public function render(string $action, string $sessidField, string $message, bool $running): string
    {
        $status = $this->kit->outbox->status();
        $html = $running ? '<meta http-equiv="refresh" content="1">' : '';
        if ($message !== '') {
            $html .= '<p class="cvety-message"><b>' . Html::e($message) . '</b></p>';
        }
        $html .= sprintf('<p>Ожидают отправки: <b>%d</b> (из них с ошибкой: %d). Остановлены: <b>%d</b>.%s</p>',
            $status['unsent'], $status['failing'], $status['dead'],
            $status['oldest_unsent_at'] === null ? '' : ' Самое старое ждёт с ' . Html::time($status['oldest_unsent_at']) . '.');
        $html .= '<h2>Остановлены</h2>';
        $dead = $this->kit->outbox->dead(100);
        if ($dead === []) {
            $html .= '<p>Нет остановленных событий.</p>';
        } else {
            $html .= '<table class="adm-list-table"><tr><th>Событие</th><th>Заказ</th><th>Попыток</th><th>Ответ CRM</th><th>Ошибка</th><th>Остановлено</th><th></th></tr>';
            foreach ($dead as $event) {
                $html .= sprintf('<tr><td>%d %s</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s %s</td></tr>',
                    $event['id'], Html::e($event['event']), $event['order_id'], $event['attempts'], Html::e($event['last_status'] ?? '—'),
                    Html::e($event['last_error'] ?? ''), Html::time($event['dead_at']),
                    $this->button($action, $sessidField, 'retry', $event['id'], 'Повторить'),
                    $this->button($action, $sessidField, 'skip', $event['id'], 'Пропустить'));
            }
            $html .= '</table>';
        }
        $html .= '<h2>Ожидают</h2>';
        $waiting = $this->kit->outbox->waiting(100);
        if ($waiting === []) {
            $html .= '<p>Очередь пуста.</p>';
        } else {
            $html .= '<table class="adm-list-table"><tr><th>Событие</th><th>Заказ</th><th>Создано</th><th>Попыток</th><th>Ответ CRM</th><th>Последняя ошибка</th><th>Следующая попытка</th></tr>';
            foreach ($waiting as $event) {
                $html .= sprintf('<tr><td>%d %s</td><td>%d</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td></tr>',
                    $event['id'], Html::e($event['event']), $event['order_id'], Html::time($event['created_at']), $event['attempts'],
                    Html::e($event['last_status'] ?? '—'), Html::e($event['last_error'] ?? ''), Html::time($event['next_attempt_at']));
            }
            $html .= '</table>';
        }
        $html .= '<h2>Отправить заказы в CRM заново</h2>';
        $current = $this->progress->current();
        if ($current !== null) {
            $html .= sprintf('<p>%s: %s, обработано заказов: %d, последний № %d. Начато %s.</p>',
                $current['finished_at'] === null ? 'Идёт отправка' : 'Отправка закончена ' . Html::time($current['finished_at']),
                Html::e(self::describe($current)), $current['queued'], $current['last_id'], Html::time($current['started_at']));
        }
        $html .= '<form method="post" action="' . Html::e($action) . '">' . $sessidField
            . '<input type="hidden" name="action" value="backfill">'
            . '<label>Заказы с № <input name="from_id" size="8" inputmode="numeric"></label> '
            . '<label>по № <input name="to_id" size="8" inputmode="numeric"></label> '
            . '<label>или изменённые с даты <input name="since" size="10" placeholder="25.08.2025"></label> '
            . '<input type="submit" value="Отправить"></form>';
        return $html;
    }

    private static function describe(array $current): string
    {
        if ($current['since'] !== null) {
            return 'изменённые с ' . (new \DateTimeImmutable($current['since']))->format('d.m.Y');
        }
        return 'заказы с № ' . $current['from_id'] . ($current['to_id'] === null ? '' : ' по № ' . $current['to_id']);
    }

    private function button(string $action, string $sessidField, string $what, int $id, string $label): string
    {
        return '<form method="post" action="' . Html::e($action) . '" style="display:inline">' . $sessidField
            . '<input type="hidden" name="action" value="' . $what . '"><input type="hidden" name="id" value="' . $id . '">'
            . '<input type="submit" value="' . Html::e($label) . '"></form>';
    }
}
