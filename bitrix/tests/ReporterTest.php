<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Webhook\Reporter;
use CvetyCrm\Webhook\RetryPolicy;
use CvetyCrm\Webhook\Signer;

final class ReporterTest extends KitCase
{
    public function testTheReportGoesBesideTheWebhookSignedWithWhatWaitsAndWhatIsDead(): void
    {
        $id = $this->storefrontOrder();
        $this->worker->script = array_fill(0, RetryPolicy::DEAD_AFTER_REFUSALS, 422);
        for ($n = 0; $n < RetryPolicy::DEAD_AFTER_REFUSALS; $n++) {
            $this->kit->sender()->flush();
            $this->now += 3600;
        }
        $this->storefrontOrder('Второй');
        $this->worker->requests = [];

        $reporter = new Reporter($this->kit->outbox, new Signer(self::SECRET), $this->worker, 'http://worker.test/webhooks/bitrix/order');
        self::assertSame(200, $reporter->report($this->now));

        $request = $this->worker->requests[0];
        self::assertSame('http://worker.test/webhooks/bitrix/outbox', $request['url']);
        self::assertTrue((new Signer(self::SECRET))->verify($request['headers']['webhook-id'], $request['headers']['webhook-timestamp'],
            $request['headers']['webhook-signature'], $request['body'], $this->now));
        $body = json_decode($request['body'], true);
        self::assertSame([1, 0, 1], [$body['waiting'], $body['failing'], $body['dead']]);
        self::assertSame([$id, 'order.create', 422], [$body['dead_events'][0]['order_id'], $body['dead_events'][0]['event'],
            $body['dead_events'][0]['last_status']]);
    }

    public function testAWorkerOutOfReachIsNoFailureOfTheAgent(): void
    {
        $this->worker->script = [0];
        $reporter = new Reporter($this->kit->outbox, new Signer(self::SECRET), $this->worker, 'http://worker.test/webhooks/bitrix/order');
        self::assertNull($reporter->report($this->now));
    }
}
