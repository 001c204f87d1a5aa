<?php
declare(strict_types=1);

namespace CvetyCrm\Admin;

use CvetyCrm\Config;

/** The settings form (options.php): each setting, what is wrong with it, and its check beside it. */
final class SettingsPage
{
    /**
     * @param array<string, array{ok: bool, text: string}> $checks
     * @param array<string, string> $problems the refused save's, by field
     * @param array<string, mixed> $posted what a refused save posted (shown again; never secrets)
     */
    public static function render(Config $config, array $checks, array $problems, array $posted, string $action, string $sessidField): string
    {
        $rows = '';
        foreach (Settings::LABELS as $name => $label) {
            $secret = in_array($name, Config::SECRETS, true);
            $value = $secret ? '' : (string) ($posted[$name] ?? $config->value($name));
            $hint = $secret ? ($config->value($name) === '' ? 'не задан' : 'задан; оставьте пустым, чтобы не менять') : '';
            $rows .= sprintf(
                '<tr><td width="40%%"><label for="cvety_%1$s">%2$s</label></td><td><input type="%3$s" id="cvety_%1$s" name="%1$s" value="%4$s" size="50" autocomplete="off"%5$s>%6$s%7$s%8$s</td></tr>',
                Html::e($name), Html::e($label), $secret ? 'password' : 'text', Html::e($value),
                $secret && $hint !== '' ? ' placeholder="' . Html::e($hint) . '"' : '',
                isset($problems[$name]) ? '<div class="cvety-problem" style="color:#c62828">' . Html::e($problems[$name]) . '</div>' : '',
                Html::check($checks[$name] ?? null), '');
        }
        foreach ([Settings::STATUSES => 'Статусы заказов', Settings::PROPERTIES => 'Свойства заказа'] as $key => $label) {
            if (isset($checks[$key])) {
                $rows .= '<tr><td>' . Html::e($label) . '</td><td>' . Html::check($checks[$key]) . '</td></tr>';
            }
        }
        $failed = count(array_filter($checks, static fn (array $c): bool => !$c['ok']));
        $summary = $failed === 0
            ? '<p style="color:#1a7f37">Все проверки пройдены.</p>'
            : '<p style="color:#c62828">Не пройдено проверок: ' . $failed . '. Исправьте отмеченное ✗.</p>';
        return '<form method="post" action="' . Html::e($action) . '">' . $sessidField . $summary
            . '<table class="adm-detail-content-table edit-table">' . $rows . '</table>'
            . '<p><input type="submit" name="save" value="Сохранить и проверить" class="adm-btn-save"></p></form>'
            . '<p>Очередь событий: <a href="/bitrix/admin/cvety_crm_outbox.php?lang=ru">Магазин → Очередь CRM</a>.</p>';
    }
}
