// An OCPP 1.6J charge point written with npm's ocpp-rpc (strict mode: every call and answer is
// checked against ocpp-rpc's own copy of the 1.6 schemas). It behaves like real chargers do:
// voltage phases "L1" instead of "L1-N", power in kW and energy in kWh, the "Celcius" typo,
// numbers with spaces. Every call it receives is printed as one JSON line on stdout.
//
// usage: node ocpp_rpc_charger.js URL IDENTITY [PASSWORD]
'use strict';
const { RPCClient } = require('ocpp-rpc');

const [endpoint, identity, password] = process.argv.slice(2);
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const now = () => new Date().toISOString();

const cli = new RPCClient({
  endpoint, identity, password, protocols: ['ocpp1.6'], strictMode: true, reconnect: false,
});
cli.on('strictValidationFailure', (e) => out({ event: 'strictValidationFailure', error: String(e.error) }));

const config = {
  MeterValuesSampledData: 'Energy.Active.Import.Register',
  MeterValueSampleInterval: '60',
  HeartbeatInterval: '300',
  NumberOfConnectors: '1',
};
let transactionId = null;

async function meterValues() {
  await cli.call('MeterValues', {
    connectorId: 1,
    transactionId: transactionId ?? undefined,
    meterValue: [{
      timestamp: now(),
      sampledValue: [
        { value: '10.5', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
        { value: ' 7.2 ', measurand: 'Power.Active.Import', unit: 'kW' },
        { value: '231.4', measurand: 'Voltage', phase: 'L1', unit: 'V' },
        { value: '229.9', measurand: 'Voltage', phase: 'L2', unit: 'V' },
        { value: '230.2', measurand: 'Voltage', phase: 'L3', unit: 'V' },
        { value: '10.4', measurand: 'Current.Import', phase: 'L1', unit: 'A' },
        { value: '10.5', measurand: 'Current.Import', phase: 'L2', unit: 'A' },
        { value: '10.6', measurand: 'Current.Import', phase: 'L3', unit: 'A' },
        { value: '41.5', measurand: 'Temperature', unit: 'Celcius' },
      ],
    }],
  });
}

function record(method, reply) {
  cli.handle(method, async ({ params }) => {
    out({ received: method, params });
    return typeof reply === 'function' ? reply(params) : reply;
  });
}

record('RemoteStartTransaction', { status: 'Accepted' });
record('RemoteStopTransaction', (p) => {
  const ok = p.transactionId === transactionId;
  if (ok) {
    setTimeout(async () => {
      await cli.call('StopTransaction', { transactionId, meterStop: 11000, timestamp: now(), reason: 'Remote' });
      transactionId = null;
      await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Finishing' });
    }, 10);
  }
  return { status: ok ? 'Accepted' : 'Rejected' };
});
record('SetChargingProfile', { status: 'Accepted' });
record('ClearChargingProfile', { status: 'Accepted' });
record('UnlockConnector', { status: 'Unlocked' });
record('ChangeAvailability', { status: 'Accepted' });
record('Reset', { status: 'Accepted' });
record('GetConfiguration', (p) => ({
  configurationKey: Object.entries(config)
    .filter(([key]) => !p.key || p.key.includes(key))
    .map(([key, value]) => ({ key, value, readonly: key === 'NumberOfConnectors' })),
  unknownKey: (p.key || []).filter((key) => !(key in config)),
}));
record('ChangeConfiguration', (p) => {
  if (!(p.key in config) && p.key !== 'UnlockConnectorOnEVSideDisconnect') return { status: 'NotSupported' };
  if (p.key === 'MeterValuesSampledData' && p.value.includes('Power.Factor')) return { status: 'Rejected' };
  config[p.key] = p.value;
  return { status: 'Accepted' };
});
record('TriggerMessage', (p) => {
  if (p.requestedMessage === 'MeterValues') setTimeout(() => meterValues().catch(() => {}), 10);
  return { status: 'Accepted' };
});

(async () => {
  try {
    await cli.connect();
    const boot = await cli.call('BootNotification', {
      chargePointVendor: 'RPC-Vendor', chargePointModel: 'RPC-Model', chargePointSerialNumber: 'RPC-42',
      firmwareVersion: '1.2.3',
    });
    out({ event: 'boot', status: boot.status, interval: boot.interval });
    await cli.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' });
    await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing' });
    const auth = await cli.call('Authorize', { idTag: 'RPCTAG' });
    out({ event: 'authorize', status: auth.idTagInfo.status });
    const start = await cli.call('StartTransaction', { connectorId: 1, idTag: 'RPCTAG', meterStart: 10000, timestamp: now() });
    transactionId = start.transactionId;
    await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });
    await meterValues();
    out({ event: 'ready', transactionId });
  } catch (err) {
    out({ event: 'error', error: String(err && err.message || err) });
    process.exit(3);
  }
})();

process.on('SIGTERM', async () => {
  await cli.close({ code: 1000, reason: 'test over' }).catch(() => {});
  process.exit(0);
});
