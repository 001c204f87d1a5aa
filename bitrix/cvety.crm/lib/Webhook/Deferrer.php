<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/** Runs work after the page's answer has gone out (Bitrix: Application::addBackgroundJob). */
interface Deferrer
{
    public function defer(callable $job): void;
}
