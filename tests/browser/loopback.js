// Every page of a browser test comes from one address (loopback): the bridge's per-address limits
// (docs/protocol.md "Limits per browser") raised so that many pages of one suite are not refused.
export const ONE_ADDRESS = ['--websockets-per-minute', '600', '--matches-per-minute', '600',
  '--max-seats-per-ip', '64', '--max-websockets-per-ip', '64', '--max-connections-per-ip', '512'];
