<?php
// The first step of DoUninstall: keep the data or not (kept unless the box is cleared).
?>
<form action="<?= $APPLICATION->GetCurPage() ?>">
    <?= bitrix_sessid_post() ?>
    <input type="hidden" name="lang" value="<?= LANGUAGE_ID ?>">
    <input type="hidden" name="id" value="cvety.crm">
    <input type="hidden" name="uninstall" value="Y">
    <input type="hidden" name="step" value="2">
    <p>Модуль перестанет передавать заказы в CRM. События, которые ещё ждут отправки, останутся в таблице очереди, если сохранить данные.</p>
    <p><input type="checkbox" name="savedata" id="savedata" value="Y" checked>
        <label for="savedata">Сохранить таблицы модуля (очередь, ключи шлюза) и настройки</label></p>
    <input type="submit" value="Удалить модуль">
</form>
