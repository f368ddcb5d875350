package org.pbxagent.agent.module;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A gauge that has no sample while there is nothing to report (no ping answered yet, no DB poll yet, no consistency
 * check run yet): Prometheus then sees the series absent, which {@code absent()} and alerts handle, instead of -1 or
 * NaN that look like values. Micrometer gauges always carry a value, so on the Prometheus registry this is a
 * collector of its own.
 */
public final class OptionalGauge {
    private record Series(Labels labels, Supplier<OptionalDouble> value) {}

    private final MeterRegistry meters;
    private final String name;
    private final String help;
    private final List<Series> series = new CopyOnWriteArrayList<>();

    private OptionalGauge(MeterRegistry meters, String name, String help) {
        this.meters = meters;
        this.name = name;
        this.help = help;
    }

    /** One series without labels. */
    public static void register(MeterRegistry meters, String name, String help, Supplier<OptionalDouble> value) {
        family(meters, name, help).add(value);
    }

    /**
     * A metric family whose series are added with {@link #add}; one registration per name.
     *
     * @param name the exported name, already by Prometheus conventions (base unit in the name)
     */
    public static OptionalGauge family(MeterRegistry meters, String name, String help) {
        OptionalGauge g = new OptionalGauge(meters, name, help);
        if (meters instanceof PrometheusMeterRegistry prometheus) {
            prometheus.getPrometheusRegistry().register(new MultiCollector() {
                @Override
                public MetricSnapshots collect() {
                    return g.collect();
                }

                @Override
                // Deprecated, yet the registry still reads it to refuse a second collector of the same name.
                @SuppressWarnings("deprecation")
                public List<String> getPrometheusNames() {
                    return List.of(name);
                }
            });
        }
        return g;
    }

    /** @param labels label name/value pairs, fixed here (so cardinality is what the configuration makes it) */
    public OptionalGauge add(Supplier<OptionalDouble> value, String... labels) {
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels must be name/value pairs: " + List.of(labels));
        }
        if (meters instanceof PrometheusMeterRegistry) {
            series.add(new Series(Labels.of(labels), value));
        } else {
            // Other registries (tests, other exporters) cannot leave a sample out; they see NaN for "none".
            Gauge.Builder<Supplier<OptionalDouble>> b = Gauge.builder(name, value, x -> {
                        OptionalDouble v = x.get();
                        return v.isPresent() ? v.getAsDouble() : Double.NaN;
                    })
                    .description(help)
                    .strongReference(true);
            for (int i = 0; i + 1 < labels.length; i += 2) {
                b.tag(labels[i], labels[i + 1]);
            }
            b.register(meters);
        }
        return this;
    }

    private MetricSnapshots collect() {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        int n = 0;
        for (Series s : series) {
            OptionalDouble v;
            try {
                v = s.value().get();
            } catch (RuntimeException e) {
                v = OptionalDouble.empty(); // a failing source has no value, and must not break the scrape
            }
            if (v.isPresent()) {
                b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                        .value(v.getAsDouble())
                        .labels(s.labels())
                        .build());
                n++;
            }
        }
        return n == 0 ? MetricSnapshots.of() : MetricSnapshots.of(b.build());
    }
}
