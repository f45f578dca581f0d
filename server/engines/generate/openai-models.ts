/**
 * What each OpenAI image model accepts, from the request documentation of the OpenAI SDK
 * (openai-node 7.5.0, src/resources/images.ts: ImageGenerateParamsBase and ImageEditParamsBase).
 * The API refuses what a model does not take: `response_format` with a GPT image model, a size
 * outside the model's list, n > 1 with dall-e-3, an edit with dall-e-3. Other model names belong
 * to OpenAI-compatible servers (LocalAI and the like), which take the size as asked.
 */

type OpenAIImageFamily = 'dall-e-2' | 'dall-e-3' | 'gpt-image' | 'gpt-image-2' | 'compatible';

export interface OpenAIModelRules {
  family: OpenAIImageFamily;
  /** The sizes the model produces, or 'free' (any size, see fitFree), or 'as-asked'. */
  sizes: ReadonlyArray<readonly [number, number]> | 'free' | 'as-asked';
  /** Largest `n` in one request. */
  maxN: number;
  /** Whether `response_format: 'b64_json'` may (and must, to get bytes) be sent. */
  responseFormat: boolean;
  /** Whether /v1/images/edits takes this model. */
  edits: boolean;
  /** Longest prompt, in characters. */
  maxPrompt: number;
}

const GPT_IMAGE_SIZES = [
  [1024, 1024],
  [1536, 1024],
  [1024, 1536],
] as const;

export function openaiRules(
  model: string,
  compatible: { maxN: number; responseFormat: boolean },
): OpenAIModelRules {
  if (model === 'dall-e-2')
    return {
      family: 'dall-e-2',
      sizes: [
        [256, 256],
        [512, 512],
        [1024, 1024],
      ],
      maxN: 10,
      responseFormat: true,
      edits: true,
      maxPrompt: 1000,
    };
  if (model === 'dall-e-3')
    return {
      family: 'dall-e-3',
      sizes: [
        [1024, 1024],
        [1792, 1024],
        [1024, 1792],
      ],
      maxN: 1,
      responseFormat: true,
      edits: false,
      maxPrompt: 4000,
    };
  if (model.startsWith('gpt-image-2'))
    return {
      family: 'gpt-image-2',
      sizes: 'free',
      maxN: 10,
      responseFormat: false,
      edits: true,
      maxPrompt: 32_000,
    };
  if (model.startsWith('gpt-image-') || model === 'chatgpt-image-latest')
    return {
      family: 'gpt-image',
      sizes: GPT_IMAGE_SIZES,
      maxN: 10,
      responseFormat: false,
      edits: true,
      maxPrompt: 32_000,
    };
  return {
    family: 'compatible',
    sizes: 'as-asked',
    maxN: compatible.maxN,
    responseFormat: compatible.responseFormat,
    edits: true,
    maxPrompt: 100_000,
  };
}

/** Whether an id from GET /v1/models names an image model of OpenAI's own. */
export const isOpenAIImageModel = (id: string): boolean =>
  id === 'dall-e-2' ||
  id === 'dall-e-3' ||
  id.startsWith('gpt-image-') ||
  id === 'chatgpt-image-latest';

/** The listed size closest in shape to width × height (then the largest of equals). */
function closest(
  sizes: ReadonlyArray<readonly [number, number]>,
  width: number,
  height: number,
): readonly [number, number] {
  const want = Math.log(width / height);
  let best = sizes[0] ?? [1024, 1024];
  let bestScore = Number.POSITIVE_INFINITY;
  for (const size of sizes) {
    const score = Math.abs(Math.log(size[0] / size[1]) - want);
    if (
      score < bestScore - 1e-9 ||
      (Math.abs(score - bestScore) < 1e-9 && size[0] * size[1] > best[0] * best[1])
    ) {
      best = size;
      bestScore = score;
    }
  }
  return best;
}

/**
 * gpt-image-2 sizes: both sides divisible by 16, aspect ratio from 1:3 to 3:1, at most 3840 on
 * the long side and 3840 × 2160 pixels. Small requests are made at 1024 on the long side (and
 * scaled down afterwards), since the model's quality is set for that size.
 */
function fitFree(width: number, height: number): readonly [number, number] {
  const ratio = Math.min(3, Math.max(1 / 3, width / height));
  let long = Math.min(3840, Math.max(1024, Math.max(width, height)));
  for (;;) {
    const w = ratio >= 1 ? long : long * ratio;
    const h = ratio >= 1 ? long / ratio : long;
    const W = Math.max(16, Math.round(w / 16) * 16);
    const H = Math.max(16, Math.round(h / 16) * 16);
    if (W * H <= 3840 * 2160 || long <= 16) return [W, H];
    long -= 16;
  }
}

/** The size to ask the model for; the adapter then fits the answer to width × height. */
export function requestSize(rules: OpenAIModelRules, width: number, height: number): string {
  if (rules.sizes === 'as-asked') return `${width}x${height}`;
  const [w, h] =
    rules.sizes === 'free' ? fitFree(width, height) : closest(rules.sizes, width, height);
  return `${w}x${h}`;
}
