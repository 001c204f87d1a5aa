<?php
// After DoUninstall.
CAdminMessage::ShowNote('Модуль CRM cvety.kz удалён.');
echo '<form action="' . $APPLICATION->GetCurPage() . '"><input type="hidden" name="lang" value="' . LANGUAGE_ID . '"><input type="submit" value="Вернуться к списку модулей"></form>';
