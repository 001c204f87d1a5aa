<?php
// After DoInstall: the refusal, in Russian, or the way to the settings.
if (!check_bitrix_sessid()) {
    return;
}
$exception = $APPLICATION->GetException();
if ($exception) {
    CAdminMessage::ShowMessage(['TYPE' => 'ERROR', 'MESSAGE' => 'Модуль не установлен', 'DETAILS' => nl2br(htmlspecialcharsbx($exception->GetString())), 'HTML' => true]);
} else {
    CAdminMessage::ShowNote('Модуль CRM cvety.kz установлен.');
    echo '<p>Заполните настройки и добейтесь, чтобы все проверки были ✓: <a href="/bitrix/admin/settings.php?mid=cvety.crm&amp;lang=' . LANGUAGE_ID . '">Настройки модуля</a>.</p>';
}
echo '<form action="' . $APPLICATION->GetCurPage() . '"><input type="hidden" name="lang" value="' . LANGUAGE_ID . '"><input type="submit" value="Вернуться к списку модулей"></form>';
