import { createRequire } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';

// OpenTelemetry traces: one trace from the HTTP request through the Temporal client (update-
// with-start, signals), the workflow (its spans travel out of the sandbox through a sink), each
// activity and the SQL and outbound HTTP inside them. Across processes the context travels in
// HTTP headers and in Temporal headers (W3C trace context).
//
// Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then no SDK is loaded (the heavy modules are
// imported only in startTracing), no interceptors are registered and the workflow bundle is the
// plain one; @opentelemetry/api alone (no-op) is what the rest of the code touches.

export type ServiceName = 'order-api' | 'order-worker';

export interface Tracing {
  serviceName: string;
  /** For the Temporal Client's `interceptors` option (the API's and the worker's clients). */
  clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** For Worker.create: the workflow interceptors module (bundled), the activity interceptors, the span sink. */
  worker: { interceptors: WorkerInterceptors; sinks: InjectedSinks<any> };
  /** Flushes the spans still buffered, undoes the instrumentations and the global provider. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: ServiceName;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the OTLP/HTTP collector (the exporter adds /v1/traces). */
  otlpEndpoint?: string;
  /** Tests: export here (synchronously, SimpleSpanProcessor) instead of OTLP. */
  exporter?: SpanExporter;
}

let active: Tracing | undefined;

/** Whether startTracing has started the SDK in this process. */
export function tracingEnabled(): boolean {
  return active !== undefined;
}

/** The active span's trace id, for log lines (undefined when tracing is off or no span is active). */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** Starts the SDK when an endpoint (or a test exporter) is given; otherwise undefined: tracing is off. */
export async function startTracing(options: TracingOptions): Promise<Tracing | undefined> {
  if (!options.exporter && !options.otlpEndpoint) return undefined;
  if (active) throw new Error('tracing already started in this process');

  const [sdkNode, sdkBase, resources, instrumentation, pgI, undiciI, httpI, temporalOtel] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-http'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);

  let processor: InstanceType<typeof sdkBase.SimpleSpanProcessor | typeof sdkBase.BatchSpanProcessor>;
  if (options.exporter) {
    processor = new sdkBase.SimpleSpanProcessor(options.exporter);
  } else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _TRACES_ENDPOINT, _HEADERS) itself.
    processor = new sdkBase.BatchSpanProcessor(new OTLPTraceExporter());
  }
  // OTEL_RESOURCE_ATTRIBUTES (e.g. deployment.environment) may add to the resource; the name is ours.
  const resource = resources.envDetectorSync
    .detect()
    .merge(new resources.Resource({ 'service.name': options.serviceName }));
  const provider = new sdkNode.NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global provider, AsyncLocalStorage context manager, W3C trace context + baggage propagator.
  provider.register();

  const unregister = instrumentation.registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Only queries inside a traced request or activity: the polling loops' queries stay out.
      new pgI.PgInstrumentation({ requireParentSpan: true }),
      new undiciI.UndiciInstrumentation({ requireParentforSpans: true }),
      // Outgoing only (Stripe's SDK uses node:http); the server span is the Hono middleware's.
      new httpI.HttpInstrumentation({
        disableIncomingRequestInstrumentation: true,
        requireParentforOutgoingSpans: true,
      }),
    ],
  });
  // pg and node:http were loaded (ESM imports) before this ran; require() them once so the hook
  // patches the already-loaded modules (their prototypes and exports are shared with the imports).
  const require = createRequire(import.meta.url);
  for (const name of ['pg', 'http', 'https']) require(name);

  const tracing: Tracing = {
    serviceName: options.serviceName,
    clientInterceptors: { workflow: [new temporalOtel.OpenTelemetryWorkflowClientInterceptor()] },
    worker: {
      interceptors: {
        workflowModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
        activity: [
          (ctx) => ({
            inbound: new temporalOtel.OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new temporalOtel.OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      // Workflow spans are made inside the sandbox and handed out through this sink.
      sinks: { exporter: temporalOtel.makeWorkflowExporter(processor, resource) },
    },
    async shutdown() {
      if (active !== tracing) return;
      active = undefined;
      unregister();
      await provider.shutdown().catch(() => undefined);
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
  active = tracing;
  return tracing;
}
