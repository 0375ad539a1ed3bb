import type { ParseConfig } from '../config/ingest-config';
import { decodeInflux } from './influx';
import { decodeOtlp } from './otlp';
import { decodePrometheusJson } from './prometheus-json';
import type { DecodedMessage } from './sample';

export { INPUT_FORMATS, type InputFormat, type ChannelsOption, type RatesOption } from '../config/format-config';
export { SampleAssembler, formatSpec, type AssemblerOptions, type FormatSpec, type Origin, type Part, type ReadyPoint, type SampleOutcome } from './assembler';
export { decodeInflux } from './influx';
export { decodeOtlp } from './otlp';
export { decodePrometheusJson } from './prometheus-json';
export { MAX_POINT_TEXT, type DecodedMessage, type PointRefusal, type Sample } from './sample';
export { normaliseLabels, quoteIdPart, seriesId, type Labels } from './series-id';

/** Decodes one message of a metric format (`parse.format` other than `json`) into samples and refusals. Never throws. */
export function decodeMetricMessage(value: Uint8Array | null, parse: ParseConfig): DecodedMessage {
  switch (parse.format) {
    case 'influx':
      return decodeInflux(value, parse);
    case 'prometheus-json':
      return decodePrometheusJson(value, parse);
    case 'otlp-json':
      return decodeOtlp(value, 'json', parse);
    case 'otlp-proto':
      return decodeOtlp(value, 'proto', parse);
    case 'json':
      throw new Error('the json format is read by parsePoint, one point per message');
  }
}
