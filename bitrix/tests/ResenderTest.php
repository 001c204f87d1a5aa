<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Backfill\Progress;
use CvetyCrm\Backfill\Resender;

final class ResenderTest extends KitCase
{
    private Progress $state;
    /** @var list<string> */
    private array $lines = [];
    private float $slept = 0.0;

    protected function setUp(): void
    {
        parent::setUp();
        $this->state = new Progress($this->kit->db);
    }

    private function resender(float $perSecond = 1000.0): Resender
    {
        return new Resender($this->shop, $this->kit->events, $this->state, $perSecond,
            function (float $seconds): void {
                $this->slept += $seconds;
            },
            function (string $line): void {
                $this->lines[] = $line;
            });
    }

    public function testAnIdRangeIsResentOnceEachAsUpdatesThatTheWorkerSeesAsNewEvents(): void
    {
        $ids = array_map(fn (int $n) => $this->storefrontOrder("Получатель $n"), range(1, 5));
        $before = count($this->outbox());

        $done = $this->resender()->run($ids[1], $ids[3], null);

        self::assertSame(3, $done);
        $resent = array_slice($this->outbox(), $before);
        self::assertSame([$ids[1], $ids[2], $ids[3]], array_map(fn ($row) => (int) $row['order_id'], $resent));
        $data = json_decode($resent[0]['body'], true)['data'];
        self::assertStringStartsWith('resend:', $data['resend']);
        self::assertStringContainsString('resend: done, 3 orders queued', end($this->lines));
    }

    public function testAStoppedRunGoesOnAfterItsLastOrder(): void
    {
        $ids = array_map(fn (int $n) => $this->storefrontOrder("Получатель $n"), range(1, 4));
        $this->resender()->run($ids[0], null, null, 2);
        $again = $this->resender()->run($ids[0], null, null);
        self::assertSame(2, $again);
        self::assertStringContainsString('resuming after order ' . $ids[1], $this->lines[count($this->lines) - 3]);
        $resentIds = array_map(fn ($row) => (int) $row['order_id'], array_slice($this->outbox(), 4));
        self::assertSame($ids, $resentIds, 'each order once');
    }

    public function testTheRateIsKept(): void
    {
        array_map(fn (int $n) => $this->storefrontOrder("Получатель $n"), range(1, 10));
        $this->resender(2.0)->run(1, null, null);
        self::assertGreaterThan(4.0, $this->slept, 'ten orders at two a second take about five seconds');
    }
}
