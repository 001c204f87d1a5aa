<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Webhook\ChangeMarker;
use CvetyCrm\Webhook\OrderSaved;

final class OrderSavedTest extends KitCase
{
    public function testANewOrderAChangedStatusAndAnyOtherChangeAreTheirThreeEvents(): void
    {
        self::assertSame('order.create', OrderSaved::eventFor(true, true, []));
        self::assertSame('order.status.change', OrderSaved::eventFor(false, true, ['STATUS_ID' => 'N']));
        self::assertSame('order.status.change', OrderSaved::eventFor(false, true, ['STATUS_ID' => 'N', 'PRICE' => '1']));
        self::assertSame('order.update', OrderSaved::eventFor(false, true, ['PRICE' => '1']));
        self::assertSame('order.update', OrderSaved::eventFor(false, true, []));
        self::assertNull(OrderSaved::eventFor(false, false, []), 'a save that changed nothing');
    }

    public function testASaveIsWrittenToTheOutboxInsideTheSaveAndSentOnlyAfterThePage(): void
    {
        $id = $this->storefrontOrder();

        self::assertCount(1, $this->outbox());
        self::assertSame([], $this->worker->requests, 'nothing sent inside the save');
        $this->later->run();
        self::assertSame(["order.create $id"], $this->worker->sent());
        self::assertNotNull($this->outbox()[0]['sent_at']);
    }

    public function testSeveralSavesInOnePageAreSentByOneFlushInTheirOrder(): void
    {
        $id = $this->storefrontOrder();
        $this->shop->setStatus($id, 'AP');
        $this->shop->edit($id, [], ['addressRecipient' => 'Алматы, ул. Сатпаева 30']);

        self::assertCount(1, $this->later->jobs);
        $this->later->run();
        self::assertSame(["order.create $id", "order.status.change $id", "order.update $id"], $this->worker->sent());
    }

    public function testTheSaveTheGatewayMakesCarriesTheRequestsKeyAndNoOtherSaveDoes(): void
    {
        $id = $this->storefrontOrder();
        ChangeMarker::during('bitrix:status:abc:1', fn () => $this->shop->setStatus($id, 'AP'));
        $this->shop->setStatus($id, 'PD');

        $keys = array_map(fn (array $row) => json_decode($row['body'], true)['data']['crm_change_key'], $this->outbox());
        self::assertSame([null, 'bitrix:status:abc:1', null], $keys);
        self::assertNull(ChangeMarker::current(), 'unmarked after the save');
    }
}
