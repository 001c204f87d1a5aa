<?php
// Copy to config.php (next to this file) on the shop's server and fill in. config.php is not in
// the repository: it holds the two secrets. The environment (CVETY_WORKER_URL,
// WEBHOOK_SIGNING_SECRET, BITRIX_API_TOKEN, CVETY_KIT_DSN) overrides it.
return [
    // Where webhooks go: the Worker's route.
    'worker_url' => 'https://crm.cvety.kz/webhooks/bitrix/order',
    // The Worker's WEBHOOK_SIGNING_SECRET (whsec_...): signs every webhook (Standard Webhooks v1).
    'signing_secret' => '',
    // The Worker's BITRIX_API_TOKEN: the gateway accepts only requests carrying it (X-API-TOKEN).
    'gateway_token' => '',
    // The kit's own database (outbox, idempotency keys): a SQLite file outside the web root, or a
    // separate MySQL database (mysql:host=localhost;dbname=cvety_crm_kit;charset=utf8mb4).
    'database_dsn' => 'sqlite:' . dirname(__DIR__, 4) . '/cvety-crm-kit.sqlite',
    'database_user' => null,
    'database_password' => null,
    // Bitrix's ids for orders made in the CRM (Магазин → Настройки): the site, the payer type,
    // the delivery service and payment system to attach, and the user who is their buyer.
    'bitrix' => [
        'site_id' => 's1',
        'person_type_id' => 1,
        'delivery_id' => 1,
        'pay_system_id' => 1,
        'user_id' => 1,
        // The catalogue's iblock (Контент → Инфоблоки: the bouquets) and the storefront's
        // address, for catalog.snapshot's product pictures.
        'catalog_iblock_id' => 2,
        'storefront_url' => 'https://cvety.kz',
    ],
];
