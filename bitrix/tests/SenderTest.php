<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Webhook\RetryPolicy;
use CvetyCrm\Webhook\Signer;

final class SenderTest extends KitCase
{
    public function testEachEventGoesSignedWithItsOwnIdAndTheAttemptsTimestamp(): void
    {
        $id = $this->storefrontOrder();
        $this->kit->sender()->flush();

        $request = $this->worker->requests[0];
        self::assertSame('http://worker.test/webhooks/bitrix/order', $request['url']);
        $headers = $request['headers'];
        self::assertSame('evt_' . $this->outbox()[0]['id'], $headers['webhook-id']);
        self::assertSame((string) $this->now, $headers['webhook-timestamp']);
        self::assertTrue((new Signer(self::SECRET))->verify($headers['webhook-id'], $headers['webhook-timestamp'],
            $headers['webhook-signature'], $request['body'], $this->now));
        self::assertSame((string) $id, json_decode($request['body'], true)['data']['ID']);
    }

    public function testAnEventTheWorkerDidNotTakeIsTriedAgainLaterWithTheSameIdAndBodyAndANewSignature(): void
    {
        $this->storefrontOrder();
        $this->worker->script = [503, 0];

        $first = $this->kit->sender()->flush();
        $this->now += 10;
        $early = $this->kit->sender()->flush();
        $this->now += RetryPolicy::DELAYS[0];
        $second = $this->kit->sender()->flush();
        $this->now += RetryPolicy::DELAYS[1];
        $third = $this->kit->sender()->flush();

        self::assertSame([['sent' => 0, 'failed' => 1], ['sent' => 0, 'failed' => 0], ['sent' => 0, 'failed' => 1],
            ['sent' => 1, 'failed' => 0]], [$first, $early, $second, $third]);
        [$a, $b, $c] = $this->worker->requests;
        self::assertSame($a['headers']['webhook-id'], $c['headers']['webhook-id']);
        self::assertSame($a['body'], $c['body'], 'the same bytes: the Worker sees the same event');
        self::assertNotSame($a['headers']['webhook-timestamp'], $c['headers']['webhook-timestamp']);
        $row = $this->outbox()[0];
        self::assertSame([3, 200], [(int) $row['attempts'], (int) $row['last_status']]);
    }

    public function testAnOrdersLaterEventsWaitBehindItsFailingOneWhileOtherOrdersGoOn(): void
    {
        $first = $this->storefrontOrder('Первый');
        $this->shop->setStatus($first, 'AP');
        $second = $this->storefrontOrder('Второй');
        $this->worker->script = [500];

        $this->kit->sender()->flush();
        self::assertSame(["order.create $first", "order.create $second"], $this->worker->sent(),
            "the first order's status change waits behind its create");

        $this->now += RetryPolicy::DELAYS[0];
        $this->kit->sender()->flush();
        self::assertSame(["order.create $first", "order.create $second", "order.create $first", "order.status.change $first"],
            $this->worker->sent());
    }

    public function testAnEventIsNeverDroppedHoweverLongTheWorkerIsAway(): void
    {
        $this->storefrontOrder();
        $this->worker->script = array_fill(0, 30, 0);
        for ($hour = 0; $hour < 30; $hour++) {
            $this->kit->sender()->flush();
            $this->now += 3600;
        }
        $this->kit->sender()->flush();
        $row = $this->outbox()[0];
        self::assertNotNull($row['sent_at']);
        self::assertSame(31, (int) $row['attempts']);
        self::assertSame(3600, (new RetryPolicy())->delayAfter(100), 'at most an hour apart');
    }

    public function testAFlushStopsAfterItsCountAndTheNextOneGoesOn(): void
    {
        for ($n = 0; $n < 5; $n++) {
            $this->storefrontOrder("Получатель $n");
        }
        self::assertSame(['sent' => 2, 'failed' => 0], $this->kit->sender()->flush(2));
        self::assertSame(['sent' => 3, 'failed' => 0], $this->kit->sender()->flush(10));
        self::assertSame(['unsent' => 0, 'failing' => 0, 'dead' => 0, 'oldest_unsent_at' => null, 'last_error' => null],
            $this->kit->outbox->status());
    }

    public function testAnEventHeldByAnotherSenderIsLeftToIt(): void
    {
        $this->storefrontOrder();
        self::assertNotNull($this->kit->outbox->claimNext($this->now));
        self::assertNull($this->kit->outbox->claimNext($this->now), 'the lease keeps a second sender off');
        self::assertNotNull($this->kit->outbox->claimNext($this->now + 31), 'a sender that died lets go after its lease');
    }

    public function testSentEventsArePrunedAfterThirtyDaysAndUnsentOnesNever(): void
    {
        $this->storefrontOrder();
        $this->kit->sender()->flush();
        $this->worker->script = [0];
        $this->storefrontOrder();
        $this->kit->sender()->flush();
        self::assertSame(0, $this->kit->outbox->prune($this->now + 29 * 86400));
        self::assertSame(1, $this->kit->outbox->prune($this->now + 31 * 86400));
        self::assertCount(1, $this->outbox());
    }

    public function testAnEventTheWorkerRefusesFiveTimesIsDeadAndNoLongerHoldsItsOrdersLaterEventsBack(): void
    {
        $id = $this->storefrontOrder();
        $this->shop->setStatus($id, 'AP');
        $this->worker->script = array_fill(0, RetryPolicy::DEAD_AFTER_REFUSALS, 422);

        for ($n = 0; $n < RetryPolicy::DEAD_AFTER_REFUSALS; $n++) {
            $this->kit->sender()->flush();
            $this->now += 3600;
        }
        self::assertSame(array_merge(array_fill(0, 5, "order.create $id"), ["order.status.change $id"]), $this->worker->sent(),
            'the status change waited behind four refusals, and went as soon as the fifth made the create dead');
        $status = $this->kit->outbox->status();
        self::assertSame([0, 1], [$status['unsent'], $status['dead']]);
        $dead = $this->kit->outbox->dead();
        self::assertSame([422, 'order.create'], [$dead[0]['last_status'], $dead[0]['event']]);

        $this->now += 3600;
        self::assertSame(['sent' => 0, 'failed' => 0], $this->kit->sender()->flush(), 'a dead event is not sent on its own');
        self::assertTrue($this->kit->outbox->retry($dead[0]['id'], $this->now));
        self::assertSame(['sent' => 1, 'failed' => 0], $this->kit->sender()->flush(), 'retried, it goes');
        self::assertSame(0, $this->kit->outbox->status()['dead']);
    }

    public function testABusyOrAbsentWorkerNeverKillsAnEventAndARefusalBetweenThemStartsTheCountAgain(): void
    {
        $this->storefrontOrder();
        $this->worker->script = [429, 503, 0, 408, 422, 422, 422, 422, 500, 422, 422, 422, 422];
        for ($n = 0; $n < 13; $n++) {
            $this->kit->sender()->flush();
            $this->now += 3600;
        }
        self::assertSame(0, $this->kit->outbox->status()['dead'], 'four refusals, a 500, four more: never five in a row');
        $this->kit->sender()->flush();
        self::assertNotNull($this->outbox()[0]['sent_at']);
    }

    public function testADeadEventSkippedForGoodLeavesTheOutboxAndSaysSo(): void
    {
        $this->storefrontOrder();
        $this->worker->script = array_fill(0, RetryPolicy::DEAD_AFTER_REFUSALS, 400);
        for ($n = 0; $n < RetryPolicy::DEAD_AFTER_REFUSALS; $n++) {
            $this->kit->sender()->flush();
            $this->now += 3600;
        }
        $id = $this->kit->outbox->dead()[0]['id'];
        self::assertFalse($this->kit->outbox->retry($id + 1000, $this->now), 'only a dead event');
        self::assertTrue($this->kit->outbox->skip($id, $this->now));
        self::assertSame([0, 0], [$this->kit->outbox->status()['unsent'], $this->kit->outbox->status()['dead']]);
        self::assertStringEndsWith('(skipped)', $this->outbox()[0]['last_error']);
    }
}
