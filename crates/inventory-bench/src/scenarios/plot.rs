//! SVG line charts for `--scale`: throughput on the left axis (solid lines), p99 latency on
//! the right one (dashed), over a logarithmic x axis, since sizes and connection counts grow
//! by factors. Text is left to the SVG viewer's sans-serif font (plotters without its font
//! features only estimates label sizes), so nothing but plotters' SVG backend is built.

use plotters::prelude::*;

/// One line of a chart.
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// `(x, y)` points, x ascending.
    pub points: Vec<(f64, f64)>,
    /// Its colour.
    pub color: RGBColor,
}

/// A chart with two y axes over one logarithmic x axis.
pub struct Chart {
    /// The title above it.
    pub title: String,
    /// What x is.
    pub x_label: String,
    /// What the left axis measures.
    pub left_label: String,
    /// What the right axis measures.
    pub right_label: String,
    /// Drawn solid against the left axis.
    pub left: Vec<Series>,
    /// Drawn dashed against the right axis.
    pub right: Vec<Series>,
}

/// The chart as an SVG document.
///
/// # Errors
/// When plotters cannot draw it (no x value above 0, for the logarithmic axis).
pub fn svg(chart: &Chart) -> anyhow::Result<String> {
    let all = || {
        chart
            .left
            .iter()
            .chain(&chart.right)
            .flat_map(|s| &s.points)
    };
    let (x_min, x_max) = all()
        .map(|&(x, _)| x)
        .filter(|x| *x > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    anyhow::ensure!(x_max > 0.0, "nothing to plot in {:?}", chart.title);
    // A margin either side, so the first and last points are not on the frame.
    let x_range = (x_min / 1.5)..(x_max * 1.5);
    let top = |series: &[Series]| {
        series
            .iter()
            .flat_map(|s| &s.points)
            .map(|&(_, y)| y)
            .fold(0.0f64, f64::max)
            .max(1.0)
            // Headroom above the highest point for the legend (upper right).
            * 1.4
    };

    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (960, 560)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut context = ChartBuilder::on(&root)
            .caption(&chart.title, ("sans-serif", 22))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .right_y_label_area_size(80)
            .build_cartesian_2d(x_range.clone().log_scale(), 0.0..top(&chart.left))?
            .set_secondary_coord(x_range.log_scale(), 0.0..top(&chart.right));
        context
            .configure_mesh()
            .x_desc(chart.x_label.as_str())
            .y_desc(chart.left_label.as_str())
            // A log axis has many minor lines; the major ones are enough to read by.
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&|x| compact(*x))
            .y_label_formatter(&|y| compact(*y))
            .draw()?;
        context
            .configure_secondary_axes()
            .y_desc(chart.right_label.as_str())
            .label_style(("sans-serif", 14))
            .draw()?;
        for series in &chart.left {
            let color = series.color;
            context
                .draw_series(
                    LineSeries::new(series.points.iter().copied(), color.stroke_width(2))
                        .point_size(4),
                )?
                .label(series.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
                });
            // Each measured point, drawn again so it shows where lines overlap.
            context.draw_series(
                series
                    .points
                    .iter()
                    .map(|&point| Circle::new(point, 4, color.filled())),
            )?;
        }
        for series in &chart.right {
            let color = series.color;
            context
                .draw_secondary_series(DashedLineSeries::new(
                    series.points.iter().copied(),
                    8,
                    5,
                    color.stroke_width(2),
                ))?
                .label(series.name.as_str())
                .legend(move |(x, y)| {
                    let style = color.stroke_width(2);
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (9, 0)], style)
                        + PathElement::new(vec![(15, 0), (24, 0)], style)
                });
            context.draw_secondary_series(
                series
                    .points
                    .iter()
                    .map(|&point| TriangleMarker::new(point, 5, color.filled())),
            )?;
        }
        context
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(out)
}

/// `1500` → `1.5k`, `1000000` → `1M`: axis labels that stay short.
fn compact(value: f64) -> String {
    let (scaled, unit) = if value >= 1e6 {
        (value / 1e6, "M")
    } else if value >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    if (scaled - scaled.round()).abs() < 1e-9 {
        format!("{scaled:.0}{unit}")
    } else {
        format!("{scaled:.1}{unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_svg_with_its_labels() {
        let chart = Chart {
            title: "Scale".into(),
            x_label: "pairs".into(),
            left_label: "reservations/s".into(),
            right_label: "p99 ms".into(),
            left: vec![Series {
                name: "hot SKU".into(),
                points: vec![(1e3, 5000.0), (1e4, 4800.0)],
                color: BLUE,
            }],
            right: vec![Series {
                name: "hot SKU p99".into(),
                points: vec![(1e3, 30.0), (1e4, 32.0)],
                color: RED,
            }],
        };
        let svg = svg(&chart).expect("drawn");
        assert!(svg.starts_with("<svg"));
        for text in ["Scale", "pairs", "reservations/s", "p99 ms", "hot SKU"] {
            assert!(svg.contains(text), "{text} missing");
        }
    }

    #[test]
    fn labels_are_compact() {
        assert_eq!(compact(1000.0), "1k");
        assert_eq!(compact(1_000_000.0), "1M");
        assert_eq!(compact(2500.0), "2.5k");
        assert_eq!(compact(16.0), "16");
    }
}
