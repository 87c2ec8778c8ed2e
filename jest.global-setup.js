// Runs once before the integration project; see core/src/testing/services.ts.
require('tsx/cjs');
module.exports = async () => {
  const { probeServices } = require('./core/src/testing/services.ts');
  await probeServices();
};
