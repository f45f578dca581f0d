/** The demo catalog a fresh server seeds: small vector designs, generated, licence-free. */
export interface DemoDesign {
  designId: string;
  title: string;
  description: string;
  priceCents: number;
  svg: string;
}

function pattern(hue: number, kind: 'waves' | 'dots' | 'rays' | 'grid', size = 512): string {
  const bg = `hsl(${hue} 70% 92%)`;
  const fg = `hsl(${hue} 65% 45%)`;
  const shapes: string[] = [];
  for (let i = 0; i < 12; i++) {
    const t = (i / 12) * size;
    if (kind === 'waves')
      shapes.push(
        `<path d="M0 ${t} Q ${size / 4} ${t - 30} ${size / 2} ${t} T ${size} ${t}" stroke="${fg}" stroke-width="6" fill="none" opacity="${0.3 + i / 20}"/>`,
      );
    if (kind === 'dots')
      for (let j = 0; j < 12; j++)
        shapes.push(
          `<circle cx="${t + 21}" cy="${(j / 12) * size + 21}" r="${6 + ((i + j) % 5) * 3}" fill="${fg}" opacity="0.7"/>`,
        );
    if (kind === 'rays')
      shapes.push(
        `<path d="M${size / 2} ${size / 2} L ${size / 2 + size * Math.cos(i / 1.9)} ${size / 2 + size * Math.sin(i / 1.9)}" stroke="${fg}" stroke-width="${10 + i}" opacity="0.5"/>`,
      );
    if (kind === 'grid')
      shapes.push(
        `<rect x="${t}" y="${t}" width="${size - 2 * t}" height="${size - 2 * t}" fill="none" stroke="${fg}" stroke-width="4" opacity="0.6"/>`,
      );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}"><rect width="100%" height="100%" fill="${bg}"/>${shapes.join('')}</svg>`;
}

export const demoDesigns: DemoDesign[] = [
  {
    designId: 'design-tidal',
    title: 'Tidal lines',
    description: 'Layered waves for calm backgrounds.',
    priceCents: 199,
    svg: pattern(200, 'waves'),
  },
  {
    designId: 'design-confetti',
    title: 'Confetti dots',
    description: 'A playful dotted pattern.',
    priceCents: 99,
    svg: pattern(330, 'dots'),
  },
  {
    designId: 'design-sunburst',
    title: 'Sunburst',
    description: 'Warm rays from the centre.',
    priceCents: 299,
    svg: pattern(35, 'rays'),
  },
  {
    designId: 'design-frames',
    title: 'Nested frames',
    description: 'Concentric squares for posters.',
    priceCents: 149,
    svg: pattern(140, 'grid'),
  },
];
